/**
 * The ledger's file: where it may live, how it is created (atomically), opened (WAL, synchronous FULL, foreign keys),
 * migrated and checked before use, and how SQLite's corruption errors are recognised (docs/design.md §5).
 */
import { closeSync, existsSync, linkSync, mkdirSync, openSync, readSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { openSqlite, type SqliteDatabase } from '../native/sqlite.ts';
import { LedgerCorruptError, LedgerInputError, LedgerSchemaError } from './errors.ts';
import { checkLedgerLocation } from './location.ts';
import { LATEST_SCHEMA_VERSION, currentSchemaVersion, hasSchemaTable, migrate } from './schema.ts';
import type { OpenLedgerOptions } from './types.ts';

const SQLITE_HEADER = Buffer.from('SQLite format 3\u0000', 'latin1');

export function isCorruption(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_IOERR_SHORT_READ'));
}

/** Opens (creating when absent) the ledger file at `path`, checks it, and hands the connection to `use` (closed if `use` throws). */
export function openLedgerFile<T>(path: string, options: OpenLedgerOptions, use: (db: SqliteDatabase, file: string, clock: () => Date) => T): T {
  if (typeof path !== 'string' || path.length === 0 || path.includes('\u0000')) throw new LedgerInputError('path', 'must be a non-empty file path');
  if (path === ':memory:') throw new LedgerInputError('path', 'the ledger must be a file on disk (an in-memory ledger forgets the spend)');
  const forbiddenRoots = options.forbiddenRoots ?? [];
  if (!Array.isArray(forbiddenRoots) || forbiddenRoots.some((root) => typeof root !== 'string')) {
    throw new LedgerInputError('forbiddenRoots', 'must be an array of folder paths');
  }
  const busy = options.busyTimeoutMs ?? 10_000;
  if (!Number.isSafeInteger(busy) || !(busy >= 0 && busy <= 600_000)) throw new LedgerInputError('busyTimeoutMs', 'must be an integer in [0, 600000]');
  const file = resolve(path);
  checkLedgerLocation(file, forbiddenRoots, true); // before creating anything: never write into a private folder
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  checkLedgerLocation(file, forbiddenRoots, options.allowNetworkFileSystem === true);
  const clock = options.clock ?? (() => new Date());
  if (!existsSync(file)) createLedgerFile(file, clock);
  checkFileHeader(file);
  let db: SqliteDatabase;
  try {
    db = openSqlite(file, { fileMustExist: true, timeout: busy });
  } catch (error) {
    if (isCorruption(error)) throw new LedgerCorruptError(file, (error as Error).message);
    throw error;
  }
  try {
    configure(db, file);
    if (!hasSchemaTable(db)) throw new LedgerCorruptError(file, 'it is not a DP-RDM ledger (no schema_version table)');
    const version = currentSchemaVersion(db);
    if (version > LATEST_SCHEMA_VERSION) throw new LedgerSchemaError(file, version, LATEST_SCHEMA_VERSION);
    if (version < LATEST_SCHEMA_VERSION) db.transaction(() => migrate(db, clock().toISOString())).immediate();
    if (options.skipQuickCheck !== true) {
      const rows = db.pragma('quick_check') as { quick_check: string }[];
      if (rows.length !== 1 || rows[0]!.quick_check !== 'ok') {
        throw new LedgerCorruptError(file, `SQLite's integrity check failed (${rows.map((r) => r.quick_check).slice(0, 3).join('; ')})`);
      }
    }
    return use(db, file, clock);
  } catch (error) {
    db.close();
    if (isCorruption(error)) throw new LedgerCorruptError(file, `the database is damaged or truncated (${(error as Error).message})`);
    throw error;
  }
}

function configure(db: SqliteDatabase, file: string): void {
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal') throw new LedgerCorruptError(file, `could not switch to WAL journaling (got ${String(mode)})`);
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
}

/** A new ledger is built under a temporary name and linked into place, so a crash never leaves an empty "ledger". */
function createLedgerFile(file: string, clock: () => Date): void {
  const temp = join(dirname(file), `.ledger-init-${randomBytes(8).toString('hex')}.sqlite`);
  const db = openSqlite(temp);
  try {
    configure(db, temp);
    db.transaction(() => migrate(db, clock().toISOString())).immediate();
  } finally {
    db.close();
  }
  try {
    linkSync(temp, file); // fails with EEXIST when another process created it first: then use theirs
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST') {
      // a file system without hard links: rename (a narrow race with a concurrent creator, never an overwrite of data)
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error;
      if (!existsSync(file)) renameSync(temp, file);
    }
  } finally {
    for (const leftover of [temp, `${temp}-wal`, `${temp}-shm`]) {
      try {
        unlinkSync(leftover);
      } catch {
        // already gone
      }
    }
  }
}

function checkFileHeader(file: string): void {
  const size = statSync(file).size;
  if (size < 512) throw new LedgerCorruptError(file, `the file is ${size} bytes long: it was truncated or is not a ledger`);
  const header = Buffer.alloc(16);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, header, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  if (!header.equals(SQLITE_HEADER)) throw new LedgerCorruptError(file, 'the file is not an SQLite database (damaged header)');
}
