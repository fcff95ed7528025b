/**
 * The ledger's schema, as explicit numbered migrations. A migration is applied once, inside the same
 * `BEGIN IMMEDIATE` transaction that records it in `schema_version`; a database with a version above
 * `LATEST_SCHEMA_VERSION` is refused (never "downgraded").
 */
import type Database from 'better-sqlite3';

export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = Object.freeze([
  {
    version: 1,
    description: 'datasets, members by content hash, hash-chained charges, per-dataset heads, events',
    sql: `
      CREATE TABLE datasets (
        id            TEXT PRIMARY KEY,
        name          TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        privacy_unit  TEXT NOT NULL,
        epsilon_cap   REAL NOT NULL,
        delta         REAL NOT NULL,
        orders        TEXT NOT NULL,
        conversion    TEXT NOT NULL,
        mechanism     TEXT NOT NULL,
        header_hash   TEXT NOT NULL,
        fingerprint   TEXT NOT NULL UNIQUE,
        member_count  INTEGER NOT NULL,
        locked_reason TEXT,
        locked_at     TEXT
      ) STRICT;
      CREATE TABLE members (
        content_hash TEXT PRIMARY KEY,
        dataset_id   TEXT NOT NULL REFERENCES datasets(id)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX members_by_dataset ON members(dataset_id);
      CREATE TABLE charges (
        dataset_id         TEXT NOT NULL REFERENCES datasets(id),
        seq                INTEGER NOT NULL,
        receipt_id         TEXT NOT NULL UNIQUE,
        created_at         TEXT NOT NULL,
        kind               TEXT NOT NULL,
        q                  REAL NOT NULL,
        sigma              REAL NOT NULL,
        k                  INTEGER NOT NULL,
        lambda             REAL NOT NULL,
        purpose            TEXT NOT NULL,
        rdp                BLOB NOT NULL,
        cumulative_rdp     BLOB NOT NULL,
        epsilon_this_query REAL NOT NULL,
        cumulative_epsilon REAL NOT NULL,
        epsilon_order      REAL NOT NULL,
        prev_hash          TEXT NOT NULL,
        hash               TEXT NOT NULL,
        PRIMARY KEY (dataset_id, seq)
      ) STRICT;
      CREATE TABLE heads (
        dataset_id TEXT PRIMARY KEY REFERENCES datasets(id),
        count      INTEGER NOT NULL,
        last_hash  TEXT NOT NULL
      ) STRICT;
      CREATE TABLE events (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        dataset_id TEXT NOT NULL REFERENCES datasets(id),
        at         TEXT NOT NULL,
        kind       TEXT NOT NULL,
        detail     TEXT NOT NULL
      ) STRICT;
    `,
  },
]);

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export function hasSchemaTable(db: Database.Database): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get() !== undefined;
}

export function currentSchemaVersion(db: Database.Database): number {
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number | null };
  return row.v ?? 0;
}

/** Creates `schema_version` and applies every migration above the current version. Call inside a write transaction. */
export function migrate(db: Database.Database, now: string): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL, description TEXT NOT NULL) STRICT');
  const current = currentSchemaVersion(db);
  for (const migration of MIGRATIONS) {
    if (migration.version <= current) continue;
    db.exec(migration.sql);
    db.prepare('INSERT INTO schema_version (version, applied_at, description) VALUES (?, ?, ?)').run(migration.version, now, migration.description);
  }
}
