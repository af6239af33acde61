// Fleet state in Redis (ioredis): each entry is one string key (JSON) that expires by itself
// (PEXPIREAT at a park's reset, a circuit's cool-down…), and every write is also published on one
// channel so the other processes apply it to their local mirrors at once. Reads on the request path
// never touch Redis: processes read their mirrors, and Redis is read in full only on (re)connect.
// Trouble of any shape (refused, killed, stalled, slow) ends as a failed or timed-out command: the
// store then says 'local' once, probes Redis on a timer, and on its return runs the owner's resync
// (read everything, write back what was learned meanwhile) before saying 'shared' again. A quiet
// process writes nothing, and a stalled server (SIGSTOP, a frozen VM) keeps its sockets open, so while
// shared the store also pings on a timer: without it a stall would go unnoticed and the process would
// say 'shared' while hearing nothing from the fleet.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { realClock, type Clock } from '../time/index.js';
import type { FleetConnection, FleetEntry, FleetStore } from './fleet-store.js';

export interface RedisFleetStoreOptions {
  /** redis://… (the same URL as shared pacing). */
  url: string;
  /** Prefix of every key and of the channel. Default "gemwarden:fleet:". */
  prefix?: string | undefined;
  /** A command slower than this counts as Redis trouble, ms. Default 250. */
  commandTimeoutMs?: number | undefined;
  /** How often a store in trouble probes Redis, ms. Default 1000. */
  probeEveryMs?: number | undefined;
  /** How often a shared store pings Redis to notice a stall when it has nothing to write, ms. Default 1000. */
  heartbeatMs?: number | undefined;
  /** Timers of the probe. Default: the real clock. */
  clock?: Clock | undefined;
}

interface Message {
  origin: string;
  entry: FleetEntry;
}

export class RedisFleetStore implements FleetStore {
  private state: FleetConnection = 'local';
  private readonly commands: Redis;
  private readonly subscriber: Redis;
  private readonly prefix: string;
  private readonly channel: string;
  /** Tells this process's own messages apart (instanceIds may repeat across processes). */
  private readonly origin = randomUUID();
  private readonly entryListeners = new Set<(entry: FleetEntry) => void>();
  private readonly stateListeners = new Set<(state: FleetConnection, reason?: string) => void>();
  private resync: () => Promise<void> = async () => undefined;
  private resyncing = false;
  private saidLocal = false;
  private stopProbe: (() => void) | undefined;
  private stopHeartbeat: (() => void) | undefined;
  private closed = false;
  private readonly clock: Clock;

  constructor(private readonly options: RedisFleetStoreOptions) {
    this.clock = options.clock ?? realClock;
    this.prefix = options.prefix ?? 'gemwarden:fleet:';
    this.channel = `${this.prefix}changes`;
    const common = { connectTimeout: 1000, retryStrategy: (times: number) => Math.min(100 * times, 2000) };
    this.commands = new Redis(options.url, {
      ...common,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? 250,
    });
    // The subscriber waits for messages, so it has no command timeout; ioredis resubscribes on reconnect.
    this.subscriber = new Redis(options.url, { ...common, maxRetriesPerRequest: null, autoResubscribe: true });
    // Connection errors surface through failed commands; without listeners ioredis would log them.
    this.commands.on('error', () => undefined);
    this.subscriber.on('error', () => undefined);
    this.commands.on('ready', () => void this.becomeShared());
    // A lost connection is trouble even when nothing is being written (a quiet fleet still says so).
    this.commands.on('close', () => {
      if (this.state === 'shared') this.trouble(new Error('connection closed'));
    });
    this.subscriber.on('message', (channel: string, text: string) => {
      if (channel === this.channel) this.receive(text);
    });
    this.subscriber.subscribe(this.channel).catch(() => undefined);
  }

  get connection(): FleetConnection {
    return this.state;
  }

  private key(entry: Pick<FleetEntry, 'kind' | 'id'>): string {
    return `${this.prefix}e:${entry.kind}:${entry.id}`;
  }

  private receive(text: string): void {
    let message: Message;
    try {
      message = JSON.parse(text) as Message;
    } catch {
      return;
    }
    if (message.origin === this.origin || !message.entry || typeof message.entry.kind !== 'string') return;
    for (const listener of this.entryListeners) {
      try {
        listener(message.entry);
      } catch {
        // A listener's bug must not stop the others.
      }
    }
  }

  private setState(state: FleetConnection, reason?: string): void {
    if (this.closed) return;
    if (state === 'local') {
      if (this.state === 'local' && this.saidLocal) return;
      this.saidLocal = true;
    } else if (this.state === 'shared') return;
    this.state = state;
    if (state === 'shared') this.scheduleHeartbeat();
    for (const listener of this.stateListeners) listener(state, reason);
  }

  /** While shared: one PING per beat, so a stalled server is noticed within a beat and a command timeout. */
  private scheduleHeartbeat(): void {
    if (this.stopHeartbeat || this.closed) return;
    this.stopHeartbeat = this.clock.timer(this.options.heartbeatMs ?? 1000, () => {
      this.stopHeartbeat = undefined;
      if (this.state !== 'shared' || this.closed) return;
      this.commands.ping().then(
        () => {
          if (this.state === 'shared') this.scheduleHeartbeat();
        },
        (error: unknown) => this.trouble(error),
      );
    });
  }

  /** A command failed: keep state per process, say so once, and probe until Redis answers again. */
  private trouble(error: unknown): void {
    if (this.closed) return;
    const message = error instanceof Error ? error.message : String(error);
    this.setState('local', `Redis unavailable (${message}): fleet state kept per process until it answers again`);
    this.scheduleProbe();
  }

  private scheduleProbe(): void {
    if (this.stopProbe || this.closed) return;
    this.stopProbe = this.clock.timer(this.options.probeEveryMs ?? 1000, () => {
      this.stopProbe = undefined;
      void this.becomeShared();
    });
  }

  /** Reads and writes back through the owner's resync, then says 'shared'. */
  private async becomeShared(): Promise<void> {
    if (this.closed || this.resyncing || this.state === 'shared') return;
    this.resyncing = true;
    try {
      await this.commands.ping();
      // Entries written during the resync must reach Redis: the store counts as shared from here.
      const previous = this.state;
      this.state = 'shared';
      try {
        await this.resync();
      } catch (error) {
        this.state = previous;
        throw error;
      }
      this.state = 'local';
      this.setState('shared');
    } catch (error) {
      this.trouble(error);
    } finally {
      this.resyncing = false;
    }
  }

  private send(entry: FleetEntry): string {
    return JSON.stringify({ origin: this.origin, entry } satisfies Message);
  }

  put(entry: FleetEntry, expireAt: number): void {
    if (this.state !== 'shared' || this.closed) return;
    const at = Math.max(Math.ceil(expireAt), this.clock.now() + 1);
    this.commands
      .multi()
      .set(this.key(entry), JSON.stringify(entry), 'PXAT', at)
      .publish(this.channel, this.send(entry))
      .exec()
      .catch((error: unknown) => this.trouble(error));
  }

  remove(entry: FleetEntry): void {
    if (this.state !== 'shared' || this.closed) return;
    this.commands
      .multi()
      .del(this.key(entry))
      .publish(this.channel, this.send(entry))
      .exec()
      .catch((error: unknown) => this.trouble(error));
  }

  tell(entry: FleetEntry): void {
    if (this.state !== 'shared' || this.closed) return;
    this.commands.publish(this.channel, this.send(entry)).catch((error: unknown) => this.trouble(error));
  }

  async claim(name: string, ttlMs: number): Promise<boolean> {
    // Alone (Redis away), this process decides for itself.
    if (this.state !== 'shared' || this.closed) return true;
    try {
      const set = await this.commands.set(
        `${this.prefix}claim:${name}`,
        this.origin,
        'PX',
        Math.max(1, Math.round(ttlMs)),
        'NX',
      );
      return set === 'OK';
    } catch (error) {
      this.trouble(error);
      return true;
    }
  }

  async readAll(): Promise<FleetEntry[]> {
    const entries: FleetEntry[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await this.commands.scan(cursor, 'MATCH', `${this.prefix}e:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length === 0) continue;
      for (const text of await this.commands.mget(...keys)) {
        if (!text) continue;
        try {
          entries.push(JSON.parse(text) as FleetEntry);
        } catch {
          // Not ours or damaged: skip it.
        }
      }
    } while (cursor !== '0');
    return entries;
  }

  onEntry(listener: (entry: FleetEntry) => void): () => void {
    this.entryListeners.add(listener);
    return () => this.entryListeners.delete(listener);
  }

  onState(listener: (state: FleetConnection, reason?: string) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  setResync(resync: () => Promise<void>): void {
    this.resync = resync;
    if (this.commands.status === 'ready') void this.becomeShared();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopProbe?.();
    this.stopHeartbeat?.();
    this.commands.disconnect();
    this.subscriber.disconnect();
  }
}
