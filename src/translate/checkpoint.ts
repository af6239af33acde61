// Checkpoints in SQLite next to the output: every finished line is saved at once (WAL, one
// transaction per batch), keyed by input hash, line id, target language, model and prompt version.
// The same database is a cache across files: a line already translated anywhere is not sent again.
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';

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

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // NORMAL is durable against a killed process (not a power cut), and much faster than FULL.
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS lines (
        input_hash TEXT NOT NULL, line_id TEXT NOT NULL, target TEXT NOT NULL, source_lang TEXT NOT NULL,
        model TEXT NOT NULL, prompt_version TEXT NOT NULL, source_hash TEXT NOT NULL,
        translation TEXT, answered_by TEXT, blocked TEXT, saved_at INTEGER NOT NULL,
        PRIMARY KEY (input_hash, line_id, target, source_lang, model, prompt_version)
      );
      CREATE INDEX IF NOT EXISTS lines_by_source ON lines (source_hash, target, source_lang, model, prompt_version);
    `);
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
    const savedAt = Date.now();
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
    this.flagBlocked.run({ ...job, lineId, sourceHash: sha256(text), reason, savedAt: Date.now() });
  }

  close(): void {
    this.db.close();
  }
}
