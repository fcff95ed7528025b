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
import { DatasetInputError } from './errors.ts';

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

async function readOpenFile(file: string, handle: FileHandle, options: ParquetReadOptions): Promise<ParquetEmbeddings> {
  let buffer: AsyncBuffer;
  let metadata: FileMetaData;
  try {
    buffer = await fileBuffer(handle);
    metadata = await parquetMetadataAsync(buffer);
  } catch (error) {
    throw new DatasetInputError(`cannot read ${file} as Parquet: ${(error as Error).message}`);
  }
  const names = parquetSchema(metadata).children.map((c) => c.element.name);
  const idColumn = pickColumn(names, options.idColumn, ID_COLUMNS, 'id', file);
  const embeddingColumn = pickColumn(names, options.embeddingColumn, EMBEDDING_COLUMNS, 'embedding', file);
  const total = Number(metadata.num_rows);
  if (!(total > 0)) throw new DatasetInputError(`${file} holds no rows`);
  const { dim } = options;
  if (!(total * dim <= 2 ** 31)) throw new DatasetInputError(`${file} holds ${total.toLocaleString('en')} rows of ${dim} values: more than one import can hold (2^31 values); split it`);
  const data = new Float32Array(total * dim);
  const ids = new Array<string>(total);
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    options.signal?.throwIfAborted();
    const rowEnd = rowStart + Number(group.num_rows);
    let rows: unknown[][] = [];
    // Byte arrays stay bytes (a binary embedding must not be read as text); ids are decoded here.
    await parquetRead({ file: buffer, metadata, columns: [idColumn, embeddingColumn], rowStart, rowEnd, utf8: false, onComplete: (r: unknown[][]) => (rows = r) });
    if (rows.length !== rowEnd - rowStart) throw new DatasetInputError(`${file}: row group at row ${rowStart} gave ${rows.length} rows, expected ${rowEnd - rowStart}`);
    rows.forEach(([raw, embedding], i) => {
      const r = rowStart + i;
      const id = raw instanceof Uint8Array ? textOf(raw, file, r) : raw;
      if (typeof id !== 'string') throw new DatasetInputError(`${file}: row ${r} has no ${idColumn} string`);
      ids[r] = id;
      if (!copyEmbedding(embedding, data, r * dim, dim)) {
        throw new DatasetInputError(`${file}: row ${r} (id "${id}") does not hold ${dim} embedding values; the model set embeds into ${dim}`);
      }
    });
    rowStart = rowEnd;
    options.onProgress?.(rowStart, total);
  }
  return { data, rows: total, cols: dim, ids, source: file };
}
