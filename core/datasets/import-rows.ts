/**
 * Embeddings imported from elsewhere (an `.npy` from a cluster job): each row's id becomes its member identity, and
 * each row must be finite and unit-norm, as the mechanism's sensitivity bound assumes (docs/design.md §3).
 */
import { createHash } from 'node:crypto';
import { DatasetInputError } from './errors.ts';
import { NORM_TOLERANCE } from './store.ts';

// An id is stored as text (UTF-8 in SQLite): half a surrogate pair has no faithful encoding, so two such ids could collapse into one.
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The member hash of an imported id: the id itself when it is a sha256, else sha256 of the id (identity by id). */
export function importMemberHash(id: string): string {
  if (/^[0-9a-fA-F]{64}$/.test(id)) return id.toLowerCase();
  return createHash('sha256').update(`dprdm-import-id-v1\n${id}`).digest('hex');
}

/**
 * The rows checked and renormalised, in store order: sorted by member hash (refusing empty, control-character and
 * duplicate ids). Rows then enter the index's unique hash columns in key order, which for a cluster-sized import is
 * several times faster than the file's order (1M rows into the two tables of the index: 15 s against 48 s); and a row's place
 * in the store no longer depends on the order a job wrote its files. Errors name the file's row numbers.
 */
export function validateImportedRows(matrix: { readonly data: Float32Array; readonly rows: number; readonly cols: number }, ids: readonly string[], modelSet: string): { hashes: string[]; ids: string[]; data: Float32Array } {
  const fileHashes: string[] = [];
  const seen = new Map<string, number>();
  ids.forEach((id, i) => {
    // eslint-disable-next-line no-control-regex
    if (typeof id !== 'string' || id.length === 0 || id.length > 1024 || /[\u0000-\u001f]/.test(id) || UNPAIRED_SURROGATE.test(id)) {
      throw new DatasetInputError(`id ${i + 1} is empty, longer than 1024 characters, or holds control characters or invalid Unicode`);
    }
    const hash = importMemberHash(id);
    const previous = seen.get(hash);
    if (previous !== undefined) throw new DatasetInputError(`ids ${previous + 1} and ${i + 1} name the same image ("${id}")`);
    seen.set(hash, i);
    fileHashes.push(hash);
  });
  // the hashes are distinct (checked above): the built-in sort's code-unit order, mapped back to file rows
  const order = fileHashes.slice().sort().map((hash) => seen.get(hash)!);
  const place = new Uint32Array(order.length);
  order.forEach((fileRow, storeRow) => (place[fileRow] = storeRow));
  const data = new Float32Array(matrix.data.length);
  const { data: values, cols } = matrix;
  for (let r = 0; r < matrix.rows; r++) {
    const sum = sumOfSquares(values, r * cols, cols);
    // a NaN or ±∞ anywhere makes the sum non-finite (and finite values cannot overflow it: each is a float32)
    if (!Number.isFinite(sum)) throw new DatasetInputError(`row ${r} (id "${ids[r]}") holds a non-finite value`);
    const norm = Math.sqrt(sum);
    if (!(Math.abs(norm - 1) <= NORM_TOLERANCE)) {
      throw new DatasetInputError(`row ${r} (id "${ids[r]}") has norm ${norm.toPrecision(6)}; embeddings must be unit-norm (normalise them, and check they come from model set ${modelSet})`);
    }
    const inv = 1 / norm;
    for (let j = 0, from = r * cols, to = place[r]! * cols; j < cols; j++) data[to + j] = values[from + j]! * inv;
  }
  return { hashes: order.map((r) => fileHashes[r]!), ids: order.map((r) => ids[r]!), data };
}

/** Σ values[from..from+count)², in four partial sums (one chain of additions would wait on each one's latency). */
function sumOfSquares(values: Float32Array, from: number, count: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const end = from + count;
  let j = from;
  for (; j + 3 < end; j += 4) {
    s0 += values[j]! * values[j]!;
    s1 += values[j + 1]! * values[j + 1]!;
    s2 += values[j + 2]! * values[j + 2]!;
    s3 += values[j + 3]! * values[j + 3]!;
  }
  for (; j < end; j++) s0 += values[j]! * values[j]!;
  return s0 + s1 + s2 + s3;
}
