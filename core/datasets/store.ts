/**
 * One dataset's index on disk, in `<studioHome>/datasets/<id>/`:
 *  - `index.sqlite`: meta, every file seen (relative path, size, mtime, inode, sha256, status, quarantine reason),
 *    and the row order of the embedding store (row → sha256);
 *  - `embeddings.f32`: the unit-norm embeddings, N×D little-endian float32, contiguous and row-major;
 *  - `browse.usearch`: an HNSW index for the curator's own browsing (see browse.ts), never for the private path.
 *
 * Crash safety: embeddings are appended (and fsynced) before the SQLite transaction that records their rows, so
 * every recorded row has its data; bytes past the last recorded row are discarded on open. Compaction (dropping
 * rows no longer referenced) writes a new file, commits the renumbering with a "swap pending" flag, then renames.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { openSqlite, type SqliteDatabase } from '../native/sqlite.ts';
import { DatasetIndexCorruptError } from './errors.ts';
import { allocateEmbeddingMatrix } from '../privacy/index.ts';
import { membershipFingerprint } from '../ledger/index.ts';

const MEMBER_DIGEST = 'member_digest';

export const INDEX_FILE = 'index.sqlite';
export const EMBEDDINGS_FILE = 'embeddings.f32';
const COMPACT_FILE = 'embeddings.f32.compact';
const SCHEMA_VERSION = 1;
/** A stored row must have |norm − 1| below this (they are normalised in float64 before storing). */
export const NORM_TOLERANCE = 1e-3;

export type DatasetKind = 'folder' | 'import';
export type FileStatus = 'indexed' | 'quarantined';

export interface FileRow {
  readonly path: string;
  readonly size: number | null;
  readonly mtimeNs: string | null;
  readonly ino: string | null;
  readonly sha256: string | null;
  readonly status: FileStatus;
  readonly reason: string | null;
  readonly transient: boolean;
  readonly format: string | null;
  readonly width: number | null;
  readonly height: number | null;
}

export interface IndexMeta {
  readonly schemaVersion: number;
  readonly kind: DatasetKind;
  readonly name: string;
  /** Real path of the indexed folder ('' for an import). */
  readonly root: string;
  readonly modelSet: string;
  readonly dim: number;
  readonly createdAt: string;
  /** The ledger dataset id ('' while a first `add` is still staging). */
  readonly datasetId: string;
  readonly epsilonCap: number;
  readonly delta: number;
  readonly lastSyncAt: string;
  /** Bumped whenever the set of stored rows changes (the browse index records which version it was built for). */
  readonly embeddingsVersion: number;
  readonly browseVersion: number;
}

interface FileRecord {
  path: string;
  size: number | null;
  mtime_ns: string | null;
  ino: string | null;
  sha256: string | null;
  status: FileStatus;
  reason: string | null;
  transient: number;
  format: string | null;
  width: number | null;
  height: number | null;
}

const SCHEMA = `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
  CREATE TABLE files (
    path      TEXT PRIMARY KEY,
    size      INTEGER,
    mtime_ns  TEXT,
    ino       TEXT,
    sha256    TEXT,
    status    TEXT NOT NULL CHECK (status IN ('indexed', 'quarantined')),
    reason    TEXT,
    transient INTEGER NOT NULL DEFAULT 0,
    format    TEXT,
    width     INTEGER,
    height    INTEGER,
    CHECK ((status = 'indexed') = (sha256 IS NOT NULL AND reason IS NULL))
  ) STRICT;
  CREATE INDEX files_by_hash ON files(sha256);
  CREATE TABLE embeddings (row INTEGER PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE) STRICT;
  CREATE TABLE imported (id TEXT PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE) STRICT;
`;

export class IndexStore {
  readonly dir: string;
  readonly dim: number;
  private readonly db: SqliteDatabase;
  private fd: number;
  private rowCount: number;
  private readonly stmt;
  private closed = false;

  private constructor(dir: string, db: SqliteDatabase) {
    this.dir = dir;
    this.db = db;
    this.stmt = {
      meta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
      setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
      files: db.prepare<[], FileRecord>('SELECT * FROM files'),
      file: db.prepare<[string], FileRecord>('SELECT * FROM files WHERE path = ?'),
      upsertFile: db.prepare(
        `INSERT INTO files (path, size, mtime_ns, ino, sha256, status, reason, transient, format, width, height)
         VALUES (@path, @size, @mtime_ns, @ino, @sha256, @status, @reason, @transient, @format, @width, @height)
         ON CONFLICT(path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns, ino = excluded.ino, sha256 = excluded.sha256,
           status = excluded.status, reason = excluded.reason, transient = excluded.transient, format = excluded.format,
           width = excluded.width, height = excluded.height`,
      ),
      deleteFile: db.prepare('DELETE FROM files WHERE path = ?'),
      insertRow: db.prepare('INSERT INTO embeddings (row, sha256) VALUES (?, ?)'),
      rows: db.prepare<[], { row: number; sha256: string }>('SELECT row, sha256 FROM embeddings ORDER BY row'),
      maxRow: db.prepare<[], { m: number | null }>('SELECT MAX(row) AS m FROM embeddings'),
      folderMembers: db.prepare<[], { sha256: string }>("SELECT DISTINCT sha256 FROM files WHERE status = 'indexed' ORDER BY sha256"),
      importMembers: db.prepare<[], { sha256: string }>('SELECT sha256 FROM imported ORDER BY sha256'),
      folderMemberRows: db.prepare<[], { row: number; sha256: string }>(
        "SELECT row, sha256 FROM embeddings WHERE sha256 IN (SELECT sha256 FROM files WHERE status = 'indexed') ORDER BY row",
      ),
      importMemberRows: db.prepare<[], { row: number; sha256: string }>('SELECT row, sha256 FROM embeddings WHERE sha256 IN (SELECT sha256 FROM imported) ORDER BY row'),
      counts: db.prepare<[], { status: FileStatus; n: number }>('SELECT status, COUNT(*) AS n FROM files GROUP BY status'),
      quarantined: db.prepare<[], { path: string; reason: string; transient: number }>("SELECT path, reason, transient FROM files WHERE status = 'quarantined' ORDER BY path"),
      duplicateGroups: db.prepare<[], { sha256: string; paths: string }>(
        "SELECT sha256, json_group_array(path) AS paths FROM (SELECT sha256, path FROM files WHERE status = 'indexed' AND sha256 IN (SELECT sha256 FROM files WHERE status = 'indexed' GROUP BY sha256 HAVING COUNT(*) > 1) ORDER BY path) GROUP BY sha256 ORDER BY MIN(path)",
      ),
      pathsForHash: db.prepare<[string], { path: string }>("SELECT path FROM files WHERE sha256 = ? AND status = 'indexed' ORDER BY path"),
      insertImported: db.prepare('INSERT INTO imported (id, sha256) VALUES (?, ?)'),
      importedIds: db.prepare<[string], { id: string }>('SELECT id FROM imported WHERE sha256 = ?'),
    };
    this.dim = Number(this.getMeta('dim'));
    if (!Number.isSafeInteger(this.dim) || this.dim < 1) throw new DatasetIndexCorruptError(`the index in ${dir} records no valid embedding dimension`);
    this.finishPendingSwap();
    this.fd = openSync(join(dir, EMBEDDINGS_FILE), existsSync(join(dir, EMBEDDINGS_FILE)) ? 'r+' : 'w+');
    this.rowCount = (this.stmt.maxRow.get()?.m ?? -1) + 1;
    const needed = this.rowCount * this.dim * 4;
    const actual = fstatSync(this.fd).size;
    if (actual < needed) {
      throw new DatasetIndexCorruptError(`the embedding store in ${dir} is shorter (${actual} bytes) than its ${this.rowCount} recorded rows need (${needed}); re-add the dataset to rebuild it`);
    }
    if (actual > needed) ftruncateSync(this.fd, needed); // bytes of a batch whose rows were never recorded (a crash)
  }

  /** Creates a new, empty index in `dir`. */
  static create(dir: string, meta: Omit<IndexMeta, 'schemaVersion' | 'lastSyncAt' | 'embeddingsVersion' | 'browseVersion'>): IndexStore {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, INDEX_FILE);
    if (existsSync(file)) throw new DatasetIndexCorruptError(`an index already exists in ${dir}`);
    const db = openSqlite(file);
    try {
      configure(db);
      db.transaction(() => {
        db.exec(SCHEMA);
        const set = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
        set.run('schema_version', String(SCHEMA_VERSION));
        set.run('kind', meta.kind);
        set.run('name', meta.name);
        set.run('root', meta.root);
        set.run('model_set', meta.modelSet);
        set.run('dim', String(meta.dim));
        set.run('created_at', meta.createdAt);
        set.run('dataset_id', meta.datasetId);
        set.run('epsilon_cap', String(meta.epsilonCap));
        set.run('delta', String(meta.delta));
        set.run('last_sync_at', '');
        set.run('embeddings_version', '0');
        set.run('browse_version', '-1');
        set.run('swap_pending', '0');
      })();
    } catch (error) {
      db.close();
      throw error;
    }
    return new IndexStore(dir, db);
  }

  static open(dir: string): IndexStore {
    const file = join(dir, INDEX_FILE);
    if (!existsSync(file)) throw new DatasetIndexCorruptError(`no index in ${dir}`);
    let db: SqliteDatabase;
    try {
      db = openSqlite(file, { fileMustExist: true });
      configure(db);
      const version = Number((db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined)?.value);
      if (version !== SCHEMA_VERSION) throw new Error(`schema version ${version}, this studio reads ${SCHEMA_VERSION}`);
    } catch (error) {
      throw new DatasetIndexCorruptError(`the dataset index ${file} cannot be opened: ${(error as Error).message}`);
    }
    try {
      return new IndexStore(dir, db);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
    this.db.close();
  }

  // ── meta ──────────────────────────────────────────────────────────────────────────────────────────────

  getMeta(key: string): string {
    return this.stmt.meta.get(key)?.value ?? '';
  }

  setMeta(key: string, value: string): void {
    this.stmt.setMeta.run(key, value);
  }

  meta(): IndexMeta {
    return {
      schemaVersion: Number(this.getMeta('schema_version')),
      kind: this.getMeta('kind') as DatasetKind,
      name: this.getMeta('name'),
      root: this.getMeta('root'),
      modelSet: this.getMeta('model_set'),
      dim: this.dim,
      createdAt: this.getMeta('created_at'),
      datasetId: this.getMeta('dataset_id'),
      epsilonCap: Number(this.getMeta('epsilon_cap')),
      delta: Number(this.getMeta('delta')),
      lastSyncAt: this.getMeta('last_sync_at'),
      embeddingsVersion: Number(this.getMeta('embeddings_version')),
      browseVersion: Number(this.getMeta('browse_version')),
    };
  }

  // ── files ─────────────────────────────────────────────────────────────────────────────────────────────

  allFiles(): Map<string, FileRow> {
    const map = new Map<string, FileRow>();
    for (const record of this.stmt.files.iterate()) map.set(record.path, fromRecord(record));
    return map;
  }

  file(path: string): FileRow | undefined {
    const record = this.stmt.file.get(path);
    return record ? fromRecord(record) : undefined;
  }

  /** Records files and forgets deleted ones, in one transaction. */
  writeFiles(rows: readonly FileRow[], deletedPaths: readonly string[] = []): void {
    if (rows.length === 0 && deletedPaths.length === 0) return;
    this.db.transaction(() => {
      this.forgetMemberDigest();
      for (const path of deletedPaths) this.stmt.deleteFile.run(path);
      for (const row of rows) this.stmt.upsertFile.run(toRecord(row));
    })();
  }

  fileCounts(): { indexed: number; quarantined: number } {
    const out = { indexed: 0, quarantined: 0 };
    for (const { status, n } of this.stmt.counts.all()) out[status] = n;
    return out;
  }

  quarantined(): { path: string; reason: string; transient: boolean }[] {
    return this.stmt.quarantined.all().map((r) => ({ path: r.path, reason: r.reason, transient: r.transient === 1 }));
  }

  duplicateGroups(): { sha256: string; paths: string[] }[] {
    return this.stmt.duplicateGroups.all().map((r) => ({ sha256: r.sha256, paths: JSON.parse(r.paths) as string[] }));
  }

  /** Curator-only: which files (or imported ids) hold this image. */
  namesForHash(sha256: string): string[] {
    const paths = this.stmt.pathsForHash.all(sha256).map((r) => r.path);
    return paths.length > 0 ? paths : this.stmt.importedIds.all(sha256).map((r) => r.id);
  }

  // ── embeddings ────────────────────────────────────────────────────────────────────────────────────────

  get storedRows(): number {
    return this.rowCount;
  }

  /** Every hash with a stored embedding (members or not yet compacted away). */
  embeddedHashes(): Set<string> {
    return new Set(this.stmt.rows.all().map((r) => r.sha256));
  }

  /**
   * Appends unit-norm rows (validated here) and, in the same SQLite transaction that records them, the file
   * rows they belong to. The data is fsynced before the transaction commits.
   */
  appendEmbeddings(hashes: readonly string[], vectors: Float32Array, fileRows: readonly FileRow[]): void {
    if (vectors.length !== hashes.length * this.dim) throw new RangeError(`expected ${hashes.length}×${this.dim} values, got ${vectors.length}`);
    for (let r = 0; r < hashes.length; r++) checkUnitRow(vectors, r, this.dim, `new embedding ${r}`);
    if (hashes.length > 0) {
      const bytes = Buffer.from(vectors.buffer, vectors.byteOffset, vectors.byteLength);
      let written = 0;
      const position = this.rowCount * this.dim * 4;
      while (written < bytes.length) written += writeSync(this.fd, bytes, written, bytes.length - written, position + written);
      fsyncSync(this.fd);
    }
    const first = this.rowCount;
    this.db.transaction(() => {
      this.forgetMemberDigest();
      hashes.forEach((hash, i) => this.stmt.insertRow.run(first + i, hash));
      for (const row of fileRows) this.stmt.upsertFile.run(toRecord(row));
      if (hashes.length > 0) this.bumpVersion();
    })();
    this.rowCount += hashes.length;
  }

  recordImported(pairs: readonly { id: string; sha256: string }[]): void {
    this.db.transaction(() => {
      this.forgetMemberDigest();
      for (const { id, sha256 } of pairs) this.stmt.insertImported.run(id, sha256);
    })();
  }

  /**
   * How many members there are and their fingerprint (the ledger's membershipFingerprint), without reading every
   * member hash when nothing changed: kept in the index's meta, cleared in the same transaction as every change of
   * the member set (writeFiles, appendEmbeddings, recordImported) and recomputed on the next read. It serves the
   * check before a charge (is the index still the one the ledger accounts for?); the private store recomputes the
   * fingerprint from the rows it loads after the charge (docs/design.md §5), so a digest edited by hand can cost a
   * charge but never release rows the ledger does not account for.
   */
  memberDigest(): { count: number; fingerprint: string } {
    const stored = /^(\d+):([0-9a-f]{64})$/.exec(this.getMeta(MEMBER_DIGEST));
    if (stored) return { count: Number(stored[1]), fingerprint: stored[2]! };
    const members = this.memberHashes();
    const digest = { count: members.length, fingerprint: membershipFingerprint(members) };
    this.setMeta(MEMBER_DIGEST, `${digest.count}:${digest.fingerprint}`);
    return digest;
  }

  private forgetMemberDigest(): void {
    this.stmt.setMeta.run(MEMBER_DIGEST, '');
  }

  /** The dataset's members (content hashes), sorted: what the ledger's fingerprint covers. */
  memberHashes(): string[] {
    const stmt = this.getMeta('kind') === 'import' ? this.stmt.importMembers : this.stmt.folderMembers;
    return stmt.all().map((r) => r.sha256);
  }

  private memberRows(): { row: number; sha256: string }[] {
    return (this.getMeta('kind') === 'import' ? this.stmt.importMemberRows : this.stmt.folderMemberRows).all();
  }

  /**
   * The members' embeddings as one contiguous row-major matrix, in stored row order, every row checked for
   * finiteness and unit norm. `hashes[i]` is row i's content hash (never a file name).
   */
  loadMatrix(): { data: Float32Array; rows: number; dim: number; hashes: string[] } {
    const members = this.memberRows();
    const all = members.length === this.rowCount && members.every((m, i) => m.row === i);
    // The private path scores these rows with the SIMD kernel, which reads them where they are allocated.
    const { data } = allocateEmbeddingMatrix(members.length, this.dim);
    const target = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const rowBytes = this.dim * 4;
    if (all) {
      readFully(this.fd, target, 0);
    } else {
      members.forEach((m, i) => readFullyAt(this.fd, target, i * rowBytes, rowBytes, m.row * rowBytes));
    }
    for (let r = 0; r < members.length; r++) {
      try {
        checkUnitRow(data, r, this.dim, `row ${r}`);
      } catch (error) {
        throw new DatasetIndexCorruptError(`the embedding store in ${this.dir} is damaged: ${(error as Error).message}`);
      }
    }
    return { data, rows: members.length, dim: this.dim, hashes: members.map((m) => m.sha256) };
  }

  /** Rows that are no longer members (deleted or edited files). */
  orphanRows(): number {
    return this.rowCount - this.memberRows().length;
  }

  /** Drops orphan rows: writes the members' rows to a new file, commits the renumbering, swaps the files. */
  compact(): number {
    const members = this.memberRows();
    const dropped = this.rowCount - members.length;
    if (dropped === 0) return 0;
    const rowBytes = this.dim * 4;
    const compactPath = join(this.dir, COMPACT_FILE);
    const out = openSync(compactPath, 'w');
    try {
      const buffer = Buffer.alloc(rowBytes);
      members.forEach((m, i) => {
        readFullyAt(this.fd, buffer, 0, rowBytes, m.row * rowBytes);
        writeSync(out, buffer, 0, rowBytes, i * rowBytes);
      });
      fsyncSync(out);
    } finally {
      closeSync(out);
    }
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM embeddings').run();
      members.forEach((m, i) => this.stmt.insertRow.run(i, m.sha256));
      this.setMeta('swap_pending', '1');
      this.bumpVersion();
    })();
    closeSync(this.fd);
    this.finishPendingSwap();
    this.fd = openSync(join(this.dir, EMBEDDINGS_FILE), 'r+');
    this.rowCount = members.length;
    return dropped;
  }

  private finishPendingSwap(): void {
    const compactPath = join(this.dir, COMPACT_FILE);
    if (this.getMeta('swap_pending') === '1') {
      if (existsSync(compactPath)) renameSync(compactPath, join(this.dir, EMBEDDINGS_FILE));
      syncDir(this.dir);
      this.setMeta('swap_pending', '0');
    } else if (existsSync(compactPath)) {
      rmSync(compactPath, { force: true }); // a compaction that crashed before committing: the old file is current
    }
  }

  private bumpVersion(): void {
    this.setMeta('embeddings_version', String(Number(this.getMeta('embeddings_version')) + 1));
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
}

function configure(db: SqliteDatabase): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 10000');
}

function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // not supported on this platform (Windows): rename is still atomic
  }
}

function readFully(fd: number, target: Buffer, position: number): void {
  readFullyAt(fd, target, 0, target.length, position);
}

function readFullyAt(fd: number, target: Buffer, offset: number, length: number, position: number): void {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, target, offset + done, length - done, position + done);
    if (n === 0) throw new DatasetIndexCorruptError('the embedding store ends early');
    done += n;
  }
}

export function checkUnitRow(data: Float32Array, row: number, dim: number, what: string): void {
  let sum = 0;
  const base = row * dim;
  for (let j = 0; j < dim; j++) {
    const v = data[base + j]!;
    if (!Number.isFinite(v)) throw new RangeError(`${what} holds a non-finite value`);
    sum += v * v;
  }
  const norm = Math.sqrt(sum);
  if (!(Math.abs(norm - 1) <= NORM_TOLERANCE)) throw new RangeError(`${what} has norm ${norm.toPrecision(6)}, not 1`);
}

function fromRecord(r: FileRecord): FileRow {
  return {
    path: r.path,
    size: r.size,
    mtimeNs: r.mtime_ns,
    ino: r.ino,
    sha256: r.sha256,
    status: r.status,
    reason: r.reason,
    transient: r.transient === 1,
    format: r.format,
    width: r.width,
    height: r.height,
  };
}

function toRecord(row: FileRow): FileRecord {
  return {
    path: row.path,
    size: row.size,
    mtime_ns: row.mtimeNs,
    ino: row.ino,
    sha256: row.status === 'indexed' ? row.sha256 : null,
    status: row.status,
    reason: row.status === 'quarantined' ? (row.reason ?? 'unknown reason') : null,
    transient: row.transient ? 1 : 0,
    format: row.format,
    width: row.width,
    height: row.height,
  };
}
