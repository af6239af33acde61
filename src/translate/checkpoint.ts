// Checkpoints in SQLite next to the output: every finished line is saved at once (WAL, one
// transaction per batch), keyed by input hash, line id, target language, model and prompt version.
// The same database is a cache across files: a line already translated anywhere is not sent again.
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import Database from 'better-sqlite3';
import { realClock } from '../time/index.js';

/** The checkpoint database cannot be opened or used: the message names the path and the remedy. */
export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
}

/** Who runs a job: the process holding its lock. `since` and `beat` are epoch ms. */
export interface LockHolder {
  pid: number;
  host: string;
  since: number;
  beat: number;
}

/** A lock whose holder has not written its heartbeat for this long is taken over (a killed run). */
export const LOCK_STALE_MS = 30_000;

export interface SavedLine {
  lineId: string;
  translation: string;
  answeredBy: string;
}

export interface JobKey {
  inputHash: string;
  target: string;
  source: string;
  model: string;
  promptVersion: string;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export class Checkpoint {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly cached: Database.Statement;
  private readonly flagBlocked: Database.Statement;

  private readonly path: string;

  constructor(path: string) {
    this.path = path;
    try {
      this.db = new Database(path);
      this.db.pragma('journal_mode = WAL');
      // NORMAL is durable against a killed process (not a power cut), and much faster than FULL.
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('busy_timeout = 5000');
      this.db.exec(`
      CREATE TABLE IF NOT EXISTS lines (
        input_hash TEXT NOT NULL, line_id TEXT NOT NULL, target TEXT NOT NULL, source_lang TEXT NOT NULL,
        model TEXT NOT NULL, prompt_version TEXT NOT NULL, source_hash TEXT NOT NULL,
        translation TEXT, answered_by TEXT, blocked TEXT, saved_at INTEGER NOT NULL,
        PRIMARY KEY (input_hash, line_id, target, source_lang, model, prompt_version)
      );
      CREATE INDEX IF NOT EXISTS lines_by_source ON lines (source_hash, target, source_lang, model, prompt_version);
      CREATE TABLE IF NOT EXISTS job_locks (
        job TEXT PRIMARY KEY, pid INTEGER NOT NULL, host TEXT NOT NULL, since INTEGER NOT NULL, beat INTEGER NOT NULL
      );
    `);
    } catch (error) {
      throw new CheckpointError(
        `the checkpoint ${path} cannot be used (${(error as Error).message}). If it is damaged, move it away or delete it (its finished lines are lost) and run again.`,
      );
    }
    this.insert = this.db.prepare(
      `INSERT OR REPLACE INTO lines VALUES (@inputHash, @lineId, @target, @source, @model, @promptVersion, @sourceHash, @translation, @answeredBy, NULL, @savedAt)`,
    );
    this.flagBlocked = this.db.prepare(
      `INSERT OR REPLACE INTO lines VALUES (@inputHash, @lineId, @target, @source, @model, @promptVersion, @sourceHash, NULL, NULL, @reason, @savedAt)`,
    );
    this.cached = this.db.prepare(
      `SELECT translation, answered_by AS answeredBy FROM lines WHERE source_hash = ? AND target = ? AND source_lang = ? AND model = ? AND prompt_version = ? AND translation IS NOT NULL LIMIT 1`,
    );
  }

  /** Lines of this job already done, and lines blocked earlier. */
  load(job: JobKey): { done: Map<string, SavedLine>; blocked: Map<string, string> } {
    const rows = this.db
      .prepare(
        `SELECT line_id AS lineId, translation, answered_by AS answeredBy, blocked FROM lines WHERE input_hash = ? AND target = ? AND source_lang = ? AND model = ? AND prompt_version = ?`,
      )
      .all(job.inputHash, job.target, job.source, job.model, job.promptVersion) as Array<
      SavedLine & { blocked: string | null }
    >;
    const done = new Map<string, SavedLine>();
    const blocked = new Map<string, string>();
    for (const row of rows) {
      if (row.translation !== null)
        done.set(row.lineId, { lineId: row.lineId, translation: row.translation, answeredBy: row.answeredBy });
      else if (row.blocked) blocked.set(row.lineId, row.blocked);
    }
    return { done, blocked };
  }

  /** A translation of the same text made for another file (or earlier job). */
  fromCache(job: JobKey, text: string): { translation: string; answeredBy: string } | undefined {
    return this.cached.get(sha256(text), job.target, job.source, job.model, job.promptVersion) as
      { translation: string; answeredBy: string } | undefined;
  }

  /** Saves finished lines in one transaction. */
  save(job: JobKey, lines: Array<{ lineId: string; text: string; translation: string; answeredBy: string }>): void {
    const savedAt = realClock.now();
    this.db.transaction(() => {
      for (const line of lines) {
        this.insert.run({
          ...job,
          lineId: line.lineId,
          sourceHash: sha256(line.text),
          translation: line.translation,
          answeredBy: line.answeredBy,
          savedAt,
        });
      }
    })();
  }

  markBlocked(job: JobKey, lineId: string, text: string, reason: string): void {
    this.flagBlocked.run({ ...job, lineId, sourceHash: sha256(text), reason, savedAt: realClock.now() });
  }

  /**
   * Takes the lock of `job` for this process, or returns who holds it. A holder on this host whose
   * process is gone, or whose heartbeat is older than LOCK_STALE_MS, is replaced.
   */
  tryLock(job: string, now = realClock.now()): { acquired: true } | { acquired: false; holder: LockHolder } {
    const me = { job, pid: process.pid, host: hostname(), since: now, beat: now };
    return this.db
      .transaction(() => {
        const holder = this.db.prepare('SELECT pid, host, since, beat FROM job_locks WHERE job = ?').get(job) as
          LockHolder | undefined;
        if (holder && !(holder.pid === me.pid && holder.host === me.host)) {
          const gone = holder.host === me.host && !processAlive(holder.pid);
          if (!gone && now - holder.beat < LOCK_STALE_MS) return { acquired: false as const, holder };
        }
        this.db
          .prepare(
            'INSERT OR REPLACE INTO job_locks (job, pid, host, since, beat) VALUES (@job, @pid, @host, @since, @beat)',
          )
          .run(me);
        return { acquired: true as const };
      })
      .immediate();
  }

  /** Writes this process's heartbeat on its lock. */
  heartbeat(job: string, now = realClock.now()): void {
    this.db
      .prepare('UPDATE job_locks SET beat = ? WHERE job = ? AND pid = ? AND host = ?')
      .run(now, job, process.pid, hostname());
  }

  unlock(job: string): void {
    this.db.prepare('DELETE FROM job_locks WHERE job = ? AND pid = ? AND host = ?').run(job, process.pid, hostname());
  }

  /** The database's path, for messages. */
  get location(): string {
    return this.path;
  }

  close(): void {
    this.db.close();
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
