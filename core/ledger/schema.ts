/**
 * The ledger's schema, as explicit numbered migrations. A migration is applied once, inside the same
 * `BEGIN IMMEDIATE` transaction that records it in `schema_version`; a database with a version above
 * `LATEST_SCHEMA_VERSION` is refused (never "downgraded").
 */
import type Database from 'better-sqlite3';
import { headerHash, headerHashV1 } from './encoding.ts';
import { adoptedParameters } from './size-class.ts';

export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
  /** Data changes that SQL alone cannot express, run after `sql` in the same transaction. */
  readonly run?: (db: Database.Database, now: string) => void;
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
  {
    version: 2,
    description:
      'a fixed-order Rényi filter per dataset (order, planned workload, size class, q, k fixed at creation); permanent membership history',
    sql: `
      ALTER TABLE datasets ADD COLUMN size_lower INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE datasets ADD COLUMN size_upper INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE datasets ADD COLUMN q REAL NOT NULL DEFAULT 0;
      ALTER TABLE datasets ADD COLUMN k INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE datasets ADD COLUMN filter_order REAL NOT NULL DEFAULT 0;
      ALTER TABLE datasets ADD COLUMN planned_generations INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE datasets ADD COLUMN filter_from_seq INTEGER NOT NULL DEFAULT 1;
      CREATE TABLE member_history (
        content_hash TEXT NOT NULL,
        dataset_id   TEXT NOT NULL REFERENCES datasets(id),
        first_at     TEXT NOT NULL,
        PRIMARY KEY (content_hash, dataset_id)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX member_history_by_dataset ON member_history(dataset_id);
      INSERT INTO member_history (content_hash, dataset_id, first_at) SELECT m.content_hash, m.dataset_id, d.created_at FROM members m JOIN datasets d ON d.id = m.dataset_id;
    `,
    run: (db, now) => adoptFixedOrderFilters(db, now),
  },
]);

/**
 * Datasets created under schema 1 admitted queries while some order of the grid still fit. Each now adopts one
 * order for good: the order at which its recorded spend is least (the one its last charge reported), and the
 * size-class parameters of its current size. Charges before `filter_from_seq` keep their recorded values and are
 * verified by the schema-1 rule; the dataset's events say so. A header that no longer matched its hash stays
 * unmatched (verification then fails and locks the dataset): the migration never blesses a tampered row.
 */
function adoptFixedOrderFilters(db: Database.Database, now: string): void {
  const rows = db.prepare('SELECT * FROM datasets').all() as Array<Record<string, unknown>>;
  for (const row of rows) {
    const id = row.id as string;
    const last = db.prepare('SELECT seq, epsilon_order FROM charges WHERE dataset_id = ? ORDER BY seq DESC LIMIT 1').get(id) as { seq: number; epsilon_order: number } | undefined;
    const adopted = adoptedParameters(Number(row.member_count), Number(row.epsilon_cap), Number(row.delta), last?.epsilon_order);
    const header = {
      id,
      createdAt: row.created_at as string,
      privacyUnit: row.privacy_unit as string,
      epsilonCap: row.epsilon_cap as number,
      delta: row.delta as number,
      orders: row.orders as string,
      conversion: row.conversion as string,
      mechanism: row.mechanism as string,
    };
    const intact = headerHashV1(header) === row.header_hash;
    const fromSeq = (last?.seq ?? 0) + 1;
    const next = { ...header, sizeLower: adopted.sizeClass.lower, sizeUpper: adopted.sizeClass.upper, q: adopted.q, k: adopted.k, filterOrder: adopted.order, plannedGenerations: adopted.generations, filterFromSeq: fromSeq };
    db.prepare(
      'UPDATE datasets SET size_lower = ?, size_upper = ?, q = ?, k = ?, filter_order = ?, planned_generations = ?, filter_from_seq = ?, header_hash = ? WHERE id = ?',
    ).run(next.sizeLower, next.sizeUpper, next.q, next.k, next.filterOrder, next.plannedGenerations, fromSeq, intact ? headerHash(next) : (row.header_hash as string), id);
    db.prepare('INSERT INTO events (dataset_id, at, kind, detail) VALUES (?, ?, ?, ?)').run(
      id,
      now,
      'filter-adopted',
      `fixed Rényi order α = ${adopted.order} from now on; the ${fromSeq - 1} earlier charges were admitted while some order of the grid fit (schema 1)`,
    );
  }
}

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
    migration.run?.(db, now);
    db.prepare('INSERT INTO schema_version (version, applied_at, description) VALUES (?, ?, ?)').run(migration.version, now, migration.description);
  }
}
