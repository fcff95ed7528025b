/**
 * Embeddings computed on a cluster (a Spark or Ray Data job that runs the model set's ONNX image encoder over an
 * archive: scripts/embed_with_ray.py), read from a Parquet file row group by row group with hyparquet (pure
 * JavaScript: nothing native to rebuild for Electron). One row per image: an id column (the image's sha256, or any
 * unique name) and an embedding column (a list of float or double, or a fixed-length binary of float32
 * little-endian values). The rows are checked as every import's are (./import-rows.ts) before anything is indexed.
 */
import { open, type FileHandle } from 'node:fs/promises';
// The package's platform-neutral entry: its Node entry only adds a file reader (on the bare 'fs' specifier, which the
// desktop bundle must not carry); fileBuffer below is that reader on node:fs.
import { parquetMetadataAsync, parquetRead, parquetSchema, type AsyncBuffer, type FileMetaData } from 'hyparquet/src/index.js';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { DatasetInputError } from './errors.ts';
import { readOnThreads } from './parquet-threads.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

function textOf(bytes: Uint8Array, file: string, row: number): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new DatasetInputError(`${file}: the id of row ${row} is not UTF-8 text`);
  }
}

export const ID_COLUMNS = ['sha256', 'content_hash', 'hash', 'id'] as const;
export const EMBEDDING_COLUMNS = ['embedding', 'vector', 'emb'] as const;

export interface ParquetEmbeddings {
  readonly data: Float32Array;
  readonly rows: number;
  readonly cols: number;
  readonly ids: string[];
  readonly source: string;
}

export interface ParquetReadOptions {
  /** The model set's embedding dimension: every row must have exactly this many values. */
  readonly dim: number;
  /** Default: the first of ID_COLUMNS / EMBEDDING_COLUMNS the file has. */
  readonly idColumn?: string;
  readonly embeddingColumn?: string;
  readonly onProgress?: (rowsDone: number, rowsTotal: number) => void;
  readonly signal?: AbortSignal;
  /** Threads that read a file's row groups (default: one per core up to four, one per 100,000 rows). */
  readonly threads?: number;
}

function pickColumn(names: readonly string[], wanted: string | undefined, defaults: readonly string[], what: string, file: string): string {
  if (wanted !== undefined) {
    if (!names.includes(wanted)) throw new DatasetInputError(`${file} has no column "${wanted}" (it has ${names.join(', ')})`);
    return wanted;
  }
  const found = defaults.find((name) => names.includes(name));
  if (!found) throw new DatasetInputError(`${file} has no ${what} column (looked for ${defaults.join(', ')}; it has ${names.join(', ')})`);
  return found;
}

/** One row's embedding into `out` at `offset`; false when it does not have exactly `dim` values. */
function copyEmbedding(value: unknown, out: Float32Array, offset: number, dim: number): boolean {
  if (value instanceof Uint8Array) {
    if (value.byteLength !== dim * 4) return false;
    const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
    for (let j = 0; j < dim; j++) out[offset + j] = view.getFloat32(j * 4, true);
    return true;
  }
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    const values = value as ArrayLike<unknown>;
    if (values.length !== dim) return false;
    for (let j = 0; j < dim; j++) {
      const v = values[j];
      out[offset + j] = typeof v === 'number' ? v : Number.NaN; // a null or non-number fails the finiteness check
    }
    return true;
  }
  return false;
}

/** One Parquet file, or every `.parquet` file of a folder (a Ray or Spark job writes one per block), in name order. */
export async function readParquetEmbeddings(path: string, options: ParquetReadOptions): Promise<ParquetEmbeddings> {
  let files: string[];
  try {
    files = statSync(path).isDirectory() ? readdirSync(path).filter((name) => name.toLowerCase().endsWith('.parquet')).sort().map((name) => join(path, name)) : [path];
  } catch (error) {
    throw new DatasetInputError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (files.length === 0) throw new DatasetInputError(`${path} holds no .parquet file`);
  if (files.length === 1) return readParquetFile(files[0]!, options);
  const parts: ParquetEmbeddings[] = [];
  for (const file of files) parts.push(await readParquetFile(file, { ...options, onProgress: undefined }));
  const rows = parts.reduce((n, p) => n + p.rows, 0);
  if (!(rows * options.dim <= 2 ** 31)) throw new DatasetInputError(`${path} holds ${rows.toLocaleString('en')} rows of ${options.dim} values: more than one import can hold (2^31 values); split it`);
  const data = new Float32Array(rows * options.dim);
  const ids: string[] = [];
  for (const part of parts) {
    data.set(part.data, ids.length * options.dim);
    for (const id of part.ids) ids.push(id); // not push(...ids): a spread of a million arguments overflows the stack
    options.onProgress?.(ids.length, rows);
  }
  return { data, rows, cols: options.dim, ids, source: path };
}

/** hyparquet's view of a file: byte ranges read on demand from one open handle. */
async function fileBuffer(handle: FileHandle): Promise<AsyncBuffer> {
  const { size } = await handle.stat();
  return {
    byteLength: size,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const length = (end ?? size) - start;
      const bytes = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(bytes, done, length - done, start + done);
        if (bytesRead === 0) throw new Error(`unexpected end of file at byte ${start + done}`);
        done += bytesRead;
      }
      return bytes.buffer;
    },
  };
}

async function readParquetFile(file: string, options: ParquetReadOptions): Promise<ParquetEmbeddings> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    throw new DatasetInputError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    return await readOpenFile(file, handle, options);
  } finally {
    await handle.close();
  }
}

/** What a file's reading needs once its columns are chosen: one range of its row groups, read into `data`. */
export interface RowGroupTask {
  readonly file: string;
  readonly dim: number;
  readonly idColumn: string;
  readonly embeddingColumn: string;
  /** Row groups [first, end) of the file, and the file's row number of the first one's first row. */
  readonly groups: readonly [first: number, end: number];
  readonly rowStart: number;
}

async function openMetadata(file: string, handle: FileHandle): Promise<{ buffer: AsyncBuffer; metadata: FileMetaData }> {
  try {
    const buffer = await fileBuffer(handle);
    return { buffer, metadata: await parquetMetadataAsync(buffer) };
  } catch (error) {
    throw new DatasetInputError(`cannot read ${file} as Parquet: ${(error as Error).message}`);
  }
}

/**
 * The task's row groups into `data` and `ids` (indexed from the task's first row), each row checked; `onGroup` after
 * each group with its row count. The one reader of rows: this thread's and every reading thread's (./parquet-worker.ts).
 */
export async function readRowGroups(task: RowGroupTask, buffer: AsyncBuffer, metadata: FileMetaData, data: Float32Array, ids: string[], onGroup?: (rows: number) => void, signal?: AbortSignal): Promise<void> {
  const { file, dim, idColumn, embeddingColumn } = task;
  let rowStart = task.rowStart;
  for (let g = task.groups[0]; g < task.groups[1]; g++) {
    signal?.throwIfAborted();
    const rowEnd = rowStart + Number(metadata.row_groups[g]!.num_rows);
    let rows: unknown[][] = [];
    // Byte arrays stay bytes (a binary embedding must not be read as text); ids are decoded here.
    await parquetRead({ file: buffer, metadata, columns: [idColumn, embeddingColumn], rowStart, rowEnd, utf8: false, onComplete: (r: unknown[][]) => (rows = r) });
    if (rows.length !== rowEnd - rowStart) throw new DatasetInputError(`${file}: row group at row ${rowStart} gave ${rows.length} rows, expected ${rowEnd - rowStart}`);
    rows.forEach(([raw, embedding], i) => {
      const r = rowStart + i;
      const at = r - task.rowStart;
      const id = raw instanceof Uint8Array ? textOf(raw, file, r) : raw;
      if (typeof id !== 'string') throw new DatasetInputError(`${file}: row ${r} has no ${idColumn} string`);
      ids[at] = id;
      if (!copyEmbedding(embedding, data, at * dim, dim)) {
        throw new DatasetInputError(`${file}: row ${r} (id "${id}") does not hold ${dim} embedding values; the model set embeds into ${dim}`);
      }
    });
    onGroup?.(rowEnd - rowStart);
    rowStart = rowEnd;
  }
}

/** A task's rows, read on this thread from its file (what a reading thread runs). */
export async function readTask(task: RowGroupTask, onGroup?: (rows: number) => void): Promise<{ data: Float32Array; ids: string[] }> {
  const handle = await open(task.file, 'r');
  try {
    const { buffer, metadata } = await openMetadata(task.file, handle);
    const rows = metadata.row_groups.slice(task.groups[0], task.groups[1]).reduce((n, g) => n + Number(g.num_rows), 0);
    const data = new Float32Array(rows * task.dim);
    const ids = new Array<string>(rows);
    await readRowGroups(task, buffer, metadata, data, ids, onGroup);
    return { data, ids };
  } finally {
    await handle.close();
  }
}

async function readOpenFile(file: string, handle: FileHandle, options: ParquetReadOptions): Promise<ParquetEmbeddings> {
  const { buffer, metadata } = await openMetadata(file, handle);
  const names = parquetSchema(metadata).children.map((c) => c.element.name);
  const idColumn = pickColumn(names, options.idColumn, ID_COLUMNS, 'id', file);
  const embeddingColumn = pickColumn(names, options.embeddingColumn, EMBEDDING_COLUMNS, 'embedding', file);
  const total = Number(metadata.num_rows);
  if (!(total > 0)) throw new DatasetInputError(`${file} holds no rows`);
  const { dim } = options;
  if (!(total * dim <= 2 ** 31)) throw new DatasetInputError(`${file} holds ${total.toLocaleString('en')} rows of ${dim} values: more than one import can hold (2^31 values); split it`);
  const data = new Float32Array(total * dim);
  const ids = new Array<string>(total);
  let done = 0;
  const onGroup = (rows: number) => options.onProgress?.((done += rows), total);
  const tasks = splitRowGroups(metadata, { file, dim, idColumn, embeddingColumn }, options.threads ?? readingThreads(total));
  if (tasks.length === 1) await readRowGroups(tasks[0]!, buffer, metadata, data, ids, onGroup, options.signal);
  else await readOnThreads(tasks, data, ids, onGroup, options.signal);
  return { data, rows: total, cols: dim, ids, source: file };
}

/** Rows per reading thread (a thread takes a fraction of a second to start: small files stay on this one). */
const ROWS_PER_READING_THREAD = 100_000;

function readingThreads(rows: number): number {
  return Math.max(1, Math.min(availableParallelism(), 4, Math.floor(rows / ROWS_PER_READING_THREAD)));
}

/** The file's row groups in at most `threads` contiguous ranges of about equal rows. */
export function splitRowGroups(metadata: FileMetaData, columns: Omit<RowGroupTask, 'groups' | 'rowStart'>, threads: number): RowGroupTask[] {
  const groups = metadata.row_groups.map((g) => Number(g.num_rows));
  const total = groups.reduce((a, b) => a + b, 0);
  const count = Math.max(1, Math.min(threads, groups.length));
  const tasks: RowGroupTask[] = [];
  let first = 0;
  let rowStart = 0;
  for (let t = 0; t < count; t++) {
    const target = (total * (t + 1)) / count;
    let end = first;
    let rowEnd = rowStart;
    while (end < groups.length && (end === first || rowEnd + groups[end]! / 2 <= target || t === count - 1)) rowEnd += groups[end++]!;
    if (end === first) break;
    tasks.push({ ...columns, groups: [first, end], rowStart });
    first = end;
    rowStart = rowEnd;
  }
  return tasks;
}
