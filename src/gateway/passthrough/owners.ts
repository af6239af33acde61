// Who owns a resource: files, cachedContents, batches, tunedModels, fileSearchStores and operations
// belong to the project whose key created them, and only that project's keys can use them. The
// gateway records resource name → project from every answer that names a resource, in memory or in
// Redis (so a fleet of gateways routes a file uploaded through one to the right project through any).
import { Redis } from 'ioredis';

/** Resource name → project, e.g. "files/abc123" → "project-a". */
export interface ResourceOwners {
  get(name: string): Promise<string | undefined>;
  set(name: string, project: string): Promise<void>;
  delete(name: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * How long an ownership record is kept: files live 48 hours at Google, caches and batches usually
 * less; a little more than two days covers them, and a longer-lived resource is simply re-learned
 * (its owner unknown, each project is tried in turn).
 */
export const OWNER_TTL_MS = 50 * 3600 * 1000;

/** In-process owners, bounded (oldest records go first past `limit`). */
export class MemoryResourceOwners implements ResourceOwners {
  private readonly records = new Map<string, { project: string; until: number }>();

  constructor(
    private readonly now: () => number,
    private readonly limit = 200_000,
  ) {}

  async get(name: string): Promise<string | undefined> {
    const record = this.records.get(name);
    if (!record) return undefined;
    if (record.until <= this.now()) {
      this.records.delete(name);
      return undefined;
    }
    return record.project;
  }

  async set(name: string, project: string): Promise<void> {
    this.records.delete(name);
    this.records.set(name, { project, until: this.now() + OWNER_TTL_MS });
    if (this.records.size > this.limit) {
      const oldest = this.records.keys().next().value;
      if (oldest !== undefined) this.records.delete(oldest);
    }
  }

  async delete(name: string): Promise<void> {
    this.records.delete(name);
  }

  async close(): Promise<void> {}
}

/**
 * Owners shared through Redis (`{prefix}owner:{name}` with a TTL). When Redis fails the records
 * fall back to memory for this process, so a Redis outage degrades routing, never requests.
 */
export class RedisResourceOwners implements ResourceOwners {
  private readonly redis: Redis;
  private readonly fallback: MemoryResourceOwners;

  constructor(
    url: string,
    now: () => number,
    private readonly prefix = 'gemwarden:',
  ) {
    this.redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1, enableOfflineQueue: false });
    this.redis.on('error', () => undefined); // failures are handled per call (memory fallback)
    this.fallback = new MemoryResourceOwners(now);
  }

  async get(name: string): Promise<string | undefined> {
    try {
      return (await this.redis.get(`${this.prefix}owner:${name}`)) ?? (await this.fallback.get(name));
    } catch {
      return this.fallback.get(name);
    }
  }

  async set(name: string, project: string): Promise<void> {
    await this.fallback.set(name, project);
    try {
      await this.redis.set(`${this.prefix}owner:${name}`, project, 'PX', OWNER_TTL_MS);
    } catch {
      // kept in memory above
    }
  }

  async delete(name: string): Promise<void> {
    await this.fallback.delete(name);
    try {
      await this.redis.del(`${this.prefix}owner:${name}`);
    } catch {
      // nothing more to do
    }
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
