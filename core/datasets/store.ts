/**
 * One dataset's index on disk, in `<studioHome>/datasets/<id>/`:
 *  - `index.sqlite`: meta, every file seen (relative path, size, mtime, inode, sha256, status, quarantine reason),
 *    and the row order of the embedding store (row → sha256);
 *  - `embeddings.f32` or `embeddings.f16`: the unit-norm embeddings, N×D little-endian float32 or IEEE binary16 (the
 *    index's `precision`, fixed when it is created), contiguous and row-major;
 *  - in `index.sqlite` too, the member digest and member row list (`memberRows`): what the private path reads
 *    instead of every member hash;
 *  - `browse.usearch`: an HNSW index for the curator's own browsing (see browse.ts), never for the private path.
 *
 * Crash safety: embeddings are appended (and fsynced) before the SQLite transaction that records their rows, so
 * every recorded row has its data; bytes past the last recorded row are discarded on open. Compaction (dropping
 * rows no longer referenced) writes a new file, commits the renumbering with a "swap pending" flag, then renames.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { jsonChunks, openSqlite, type SqliteDatabase } from '../native/sqlite.ts';
import { DatasetIndexCorruptError } from './errors.ts';
import { decodeFloat16, encodeFloat16, type StorePrecision } from '../privacy/index.ts';
import { membershipFingerprint } from '../ledger/index.ts';

const MEMBER_DIGEST = 'member_digest';

export const INDEX_FILE = 'index.sqlite';
/** The embedding file of an index of each precision. */
export const EMBEDDINGS_FILES: Record<StorePrecision, string> = { float32: 'embeddings.f32', float16: 'embeddings.f16' };
export const BYTES_PER_VALUE: Record<StorePrecision, number> = { float32: 4, float16: 2 };
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
  /** How the embedding file keeps values ('float32' for indexes made before float16 stores existed). */
  readonly precision: StorePrecision;
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
// Who is a member: a folder's indexed files, an import's imported ids (the statements below select by these).
const FOLDER_MEMBER = "status = 'indexed'";
const IMPORT_MEMBERS = 'SELECT sha256 FROM imported';
// Added after schema version 1 shipped: created on open where missing (an empty table means "recompute").
const MEMBER_ROWS_SCHEMA = `
  CREATE TABLE IF NOT EXISTS member_rows (id INTEGER PRIMARY KEY CHECK (id = 0), digest TEXT NOT NULL, rows BLOB NOT NULL) STRICT;
`;

/** The members as the private path reads them: their digest and their stored rows, in row order. */
export interface MemberRows {
  readonly count: number;
  readonly fingerprint: string;
  /** Stored row of member i, increasing. */
  readonly rows: Uint32Array;
  /** Whether member i is stored row i for every i (no orphan rows). */
  readonly identity: boolean;
}

export class IndexStore {
  readonly dir: string;
  readonly dim: number;
  readonly precision: StorePrecision;
  /** Bytes of one stored row. */
  readonly rowBytes: number;
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
      // a chunk of hashes as one JSON array (../native/sqlite.ts jsonChunks), stored from row ? on
      insertRows: db.prepare<[number, string]>('INSERT INTO embeddings (row, sha256) SELECT ? + key, value FROM json_each(?)'),
      rows: db.prepare<[], { row: number; sha256: string }>('SELECT row, sha256 FROM embeddings ORDER BY row'),
      maxRow: db.prepare<[], { m: number | null }>('SELECT MAX(row) AS m FROM embeddings'),
      folderMemberHashes: db.prepare<[], string>(`SELECT DISTINCT sha256 FROM files WHERE ${FOLDER_MEMBER} ORDER BY sha256`).pluck(),
      importMemberHashes: db.prepare<[], string>('SELECT sha256 FROM imported ORDER BY sha256').pluck(),
      folderMemberRows: db.prepare<[], { row: number; sha256: string }>(`SELECT row, sha256 FROM embeddings WHERE sha256 IN (SELECT sha256 FROM files WHERE ${FOLDER_MEMBER}) ORDER BY row`),
      importMemberRows: db.prepare<[], { row: number; sha256: string }>(`SELECT row, sha256 FROM embeddings WHERE sha256 IN (${IMPORT_MEMBERS}) ORDER BY row`),
      folderMemberRowNumbers: db.prepare<[], number>(`SELECT row FROM embeddings WHERE sha256 IN (SELECT sha256 FROM files WHERE ${FOLDER_MEMBER}) ORDER BY row`).pluck(),
      importMemberRowNumbers: db.prepare<[], number>(`SELECT row FROM embeddings WHERE sha256 IN (${IMPORT_MEMBERS}) ORDER BY row`).pluck(),
      counts: db.prepare<[], { status: FileStatus; n: number }>('SELECT status, COUNT(*) AS n FROM files GROUP BY status'),
      quarantined: db.prepare<[], { path: string; reason: string; transient: number }>("SELECT path, reason, transient FROM files WHERE status = 'quarantined' ORDER BY path"),
      duplicateGroups: db.prepare<[], { sha256: string; paths: string }>(
        "SELECT sha256, json_group_array(path) AS paths FROM (SELECT sha256, path FROM files WHERE status = 'indexed' AND sha256 IN (SELECT sha256 FROM files WHERE status = 'indexed' GROUP BY sha256 HAVING COUNT(*) > 1) ORDER BY path) GROUP BY sha256 ORDER BY MIN(path)",
      ),
      pathsForHash: db.prepare<[string], { path: string }>("SELECT path FROM files WHERE sha256 = ? AND status = 'indexed' ORDER BY path"),
      // a chunk of [id, sha256] pairs as one JSON array
      insertImported: db.prepare<[string]>('INSERT INTO imported (id, sha256) SELECT value ->> 0, value ->> 1 FROM json_each(?)'),
      importedIds: db.prepare<[string], { id: string }>('SELECT id FROM imported WHERE sha256 = ?'),
      memberRowList: db.prepare<[], { digest: string; rows: Buffer }>('SELECT digest, rows FROM member_rows WHERE id = 0'),
      setMemberRowList: db.prepare('INSERT INTO member_rows (id, digest, rows) VALUES (0, ?, ?) ON CONFLICT(id) DO UPDATE SET digest = excluded.digest, rows = excluded.rows'),
      clearMemberRowList: db.prepare('DELETE FROM member_rows'),
    };
    this.dim = Number(this.getMeta('dim'));
    if (!Number.isSafeInteger(this.dim) || this.dim < 1) throw new DatasetIndexCorruptError(`the index in ${dir} records no valid embedding dimension`);
    const precision = this.getMeta('precision') || 'float32';
    if (precision !== 'float32' && precision !== 'float16') throw new DatasetIndexCorruptError(`the index in ${dir} records an unknown precision "${precision}"`);
    this.precision = precision;
    this.rowBytes = this.dim * BYTES_PER_VALUE[precision];
    this.finishPendingSwap();
    this.fd = openSync(this.embeddingsPath, existsSync(this.embeddingsPath) ? 'r+' : 'w+');
    this.rowCount = (this.stmt.maxRow.get()?.m ?? -1) + 1;
    const needed = this.rowCount * this.rowBytes;
    const actual = fstatSync(this.fd).size;
    if (actual < needed) {
      throw new DatasetIndexCorruptError(`the embedding store in ${dir} is shorter (${actual} bytes) than its ${this.rowCount} recorded rows need (${needed}); re-add the dataset to rebuild it`);
    }
    if (actual > needed) ftruncateSync(this.fd, needed); // bytes of a batch whose rows were never recorded (a crash)
  }

  /** Creates a new, empty index in `dir`. */
  static create(dir: string, meta: Omit<IndexMeta, 'schemaVersion' | 'lastSyncAt' | 'embeddingsVersion' | 'browseVersion' | 'precision'> & { readonly precision?: StorePrecision }): IndexStore {
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
        set.run('precision', meta.precision ?? 'float32');
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
      precision: this.precision,
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
      const stored = this.precision === 'float16' ? encodeFloat16(vectors) : vectors;
      const bytes = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
      let written = 0;
      const position = this.rowCount * this.rowBytes;
      while (written < bytes.length) written += writeSync(this.fd, bytes, written, bytes.length - written, position + written);
      fsyncSync(this.fd);
    }
    const first = this.rowCount;
    this.db.transaction(() => {
      this.forgetMemberDigest();
      for (const { start, json } of jsonChunks(hashes)) this.stmt.insertRows.run(first + start, json);
      for (const row of fileRows) this.stmt.upsertFile.run(toRecord(row));
      if (hashes.length > 0) this.bumpVersion();
    })();
    this.rowCount += hashes.length;
  }

  /** Records each imported id (well-formed UTF-16: ./import-rows.ts) with its member hash. */
  recordImported(pairs: readonly { id: string; sha256: string }[]): void {
    this.db.transaction(() => {
      this.forgetMemberDigest();
      for (const { json } of jsonChunks(pairs.map(({ id, sha256 }) => [id, sha256]))) this.stmt.insertImported.run(json);
    })();
  }

  /**
   * How many members there are and their fingerprint (the ledger's membershipFingerprint), without reading every
   * member hash when nothing changed: kept in the index's meta, with the member row list (memberRows) beside it,
   * both cleared in the same transaction as every change of the member set (writeFiles, appendEmbeddings,
   * recordImported, compact) and recomputed together, in one write transaction, on the next read.
   */
  memberDigest(): { count: number; fingerprint: string } {
    const stored = parseDigest(this.getMeta(MEMBER_DIGEST));
    if (stored) return stored;
    return this.recomputeMembers().digest;
  }

  /**
   * The members as the private path reads them (docs/design.md §5): the digest the ledger's fingerprint is compared
   * with, and each member's stored row. The two are read in one transaction and must name each other; otherwise
   * (or when absent) they are recomputed from the member hashes.
   */
  memberRows(): MemberRows {
    const [digestText, record] = this.db.transaction(() => [this.getMeta(MEMBER_DIGEST), this.stmt.memberRowList.get()] as const)();
    const digest = parseDigest(digestText);
    const current = digest && record && record.digest === digestText ? { digest, rows: rowList(record.rows) } : this.recomputeMembers();
    const { rows } = current;
    let ordered = rows.length === current.digest.count;
    for (let i = 0; ordered && i < rows.length; i++) ordered = rows[i]! < this.rowCount && (i === 0 || rows[i]! > rows[i - 1]!);
    if (!ordered) {
      throw new DatasetIndexCorruptError(`the member rows recorded in ${this.dir} do not match its embedding store; re-add the dataset to rebuild it`);
    }
    return { ...current.digest, rows, identity: rows.length === this.rowCount };
  }

  private recomputeMembers(): { digest: { count: number; fingerprint: string }; rows: Uint32Array<ArrayBufferLike> } {
    return this.db.transaction(() => {
      const kind = this.getMeta('kind');
      const hashes = (kind === 'import' ? this.stmt.importMemberHashes : this.stmt.folderMemberHashes).iterate();
      let count = 0;
      const fingerprint = membershipFingerprint((function* () {
        for (const hash of hashes) {
          count++;
          yield hash;
        }
      })());
      let rows: Uint32Array<ArrayBufferLike> = new Uint32Array(Math.max(16, count));
      let n = 0;
      for (const row of (kind === 'import' ? this.stmt.importMemberRowNumbers : this.stmt.folderMemberRowNumbers).iterate()) {
        if (n === rows.length) rows = growTo(rows, rows.length * 2);
        rows[n++] = row;
      }
      rows = rows.slice(0, n);
      const digest = { count, fingerprint };
      const digestText = `${count}:${fingerprint}`;
      this.setMeta(MEMBER_DIGEST, digestText);
      this.stmt.setMemberRowList.run(digestText, Buffer.from(rows.buffer, rows.byteOffset, rows.byteLength));
      return { digest, rows };
    }).immediate();
  }

  private forgetMemberDigest(): void {
    this.stmt.setMeta.run(MEMBER_DIGEST, '');
    this.stmt.clearMemberRowList.run();
  }

  /** The dataset's members (content hashes), sorted: what the ledger's fingerprint covers. */
  memberHashes(): string[] {
    return (this.getMeta('kind') === 'import' ? this.stmt.importMemberHashes : this.stmt.folderMemberHashes).all();
  }

  private memberRowsWithHashes(): { row: number; sha256: string }[] {
    return (this.getMeta('kind') === 'import' ? this.stmt.importMemberRows : this.stmt.folderMemberRows).all();
  }

  /** The embedding file (the private path opens it on its own: core/datasets/stored-rows.ts). */
  get embeddingsPath(): string {
    return join(this.dir, EMBEDDINGS_FILES[this.precision]);
  }

  /**
   * For the curator's own tools (browsing, familiarity, the utility evaluation), never the generation path: the
   * members' embeddings decoded to one float32 row-major matrix, in stored row order, every row checked for
   * finiteness and unit norm. `hashes[i]` is row i's content hash (never a file name).
   */
  loadMatrix(): { data: Float32Array; rows: number; dim: number; hashes: string[] } {
    const members = this.memberRowsWithHashes();
    const { rowBytes } = this;
    const raw = Buffer.alloc(members.length * rowBytes);
    if (members.length === this.rowCount && members.every((m, i) => m.row === i)) {
      readFully(this.fd, raw, 0);
    } else {
      members.forEach((m, i) => readFullyAt(this.fd, raw, i * rowBytes, rowBytes, m.row * rowBytes));
    }
    const values = members.length * this.dim;
    const data = this.precision === 'float16' ? decodeFloat16(new Uint16Array(raw.buffer, raw.byteOffset, values)) : new Float32Array(raw.buffer, raw.byteOffset, values);
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
    return this.rowCount - this.memberRowsWithHashes().length;
  }

  /** Drops orphan rows: writes the members' rows to a new file, commits the renumbering, swaps the files. */
  compact(): number {
    const members = this.memberRowsWithHashes();
    const dropped = this.rowCount - members.length;
    if (dropped === 0) return 0;
    const { rowBytes } = this;
    const compactPath = this.compactPath;
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
      this.forgetMemberDigest();
      this.db.prepare('DELETE FROM embeddings').run();
      for (const { start, json } of jsonChunks(members.map((m) => m.sha256))) this.stmt.insertRows.run(start, json);
      this.setMeta('swap_pending', '1');
      this.bumpVersion();
    })();
    closeSync(this.fd);
    this.finishPendingSwap();
    this.fd = openSync(this.embeddingsPath, 'r+');
    this.rowCount = members.length;
    return dropped;
  }

  private get compactPath(): string {
    return `${this.embeddingsPath}.compact`;
  }

  private finishPendingSwap(): void {
    const compactPath = this.compactPath;
    if (this.getMeta('swap_pending') === '1') {
      if (existsSync(compactPath)) renameSync(compactPath, this.embeddingsPath);
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
  db.exec(MEMBER_ROWS_SCHEMA);
}

function parseDigest(text: string): { count: number; fingerprint: string } | undefined {
  const stored = /^(\d+):([0-9a-f]{64})$/.exec(text);
  return stored ? { count: Number(stored[1]), fingerprint: stored[2]! } : undefined;
}

function rowList(blob: Buffer): Uint32Array {
  if (blob.byteLength % 4 !== 0) throw new DatasetIndexCorruptError('the recorded member rows are damaged; re-add the dataset to rebuild its index');
  const rows = new Uint32Array(blob.byteLength / 4);
  new Uint8Array(rows.buffer).set(blob);
  return rows;
}

function growTo(rows: Uint32Array<ArrayBufferLike>, length: number): Uint32Array {
  const grown = new Uint32Array(length);
  grown.set(rows);
  return grown;
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

/** Reads exactly `length` bytes at `position` into `target` (refusing a file that ends early). */
export function readFullyAt(fd: number, target: Uint8Array, offset: number, length: number, position: number): void {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, target, offset + done, length - done, position + done);
    if (n === 0) throw new DatasetIndexCorruptError('the embedding store ends early; sync the dataset to rebuild it');
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
