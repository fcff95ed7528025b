/**
 * Embeddings imported from elsewhere (an `.npy` from a cluster job): each row's id becomes its member identity, and
 * each row must be finite and unit-norm, as the mechanism's sensitivity bound assumes (docs/design.md §3).
 */
import { createHash } from 'node:crypto';
import { DatasetInputError } from './errors.ts';
import { normalizeInto } from './indexer.ts';
import { NORM_TOLERANCE } from './store.ts';

/** The member hash of an imported id: the id itself when it is a sha256, else sha256 of the id (identity by id). */
export function importMemberHash(id: string): string {
  if (/^[0-9a-fA-F]{64}$/.test(id)) return id.toLowerCase();
  return createHash('sha256').update(`dprdm-import-id-v1\n${id}`).digest('hex');
}

/** The rows' member hashes (refusing empty, control-character and duplicate ids) and the rows, checked and renormalised. */
export function validateImportedRows(matrix: { readonly data: Float32Array; readonly rows: number; readonly cols: number }, ids: readonly string[], modelSet: string): { hashes: string[]; data: Float32Array } {
  const hashes: string[] = [];
  const seen = new Map<string, number>();
  ids.forEach((id, i) => {
    // eslint-disable-next-line no-control-regex
    if (typeof id !== 'string' || id.length === 0 || id.length > 1024 || /[\u0000-\u001f]/.test(id)) throw new DatasetInputError(`id ${i + 1} is empty, too long or holds control characters`);
    const hash = importMemberHash(id);
    const previous = seen.get(hash);
    if (previous !== undefined) throw new DatasetInputError(`ids ${previous + 1} and ${i + 1} name the same image ("${id}")`);
    seen.set(hash, i);
    hashes.push(hash);
  });
  const data = new Float32Array(matrix.data.length);
  const { data: values, cols } = matrix;
  for (let r = 0; r < matrix.rows; r++) {
    const row = values.subarray(r * cols, (r + 1) * cols);
    let sum = 0;
    for (let j = r * cols, end = j + cols; j < end; j++) sum += values[j]! * values[j]!;
    // a NaN or ±∞ anywhere makes the sum non-finite (and finite values cannot overflow it: each is a float32)
    if (!Number.isFinite(sum)) throw new DatasetInputError(`row ${r} (id "${ids[r]}") holds a non-finite value`);
    const norm = Math.sqrt(sum);
    if (!(Math.abs(norm - 1) <= NORM_TOLERANCE)) {
      throw new DatasetInputError(`row ${r} (id "${ids[r]}") has norm ${norm.toPrecision(6)}; embeddings must be unit-norm (normalise them, and check they come from model set ${modelSet})`);
    }
    normalizeInto(row, data, r * matrix.cols);
  }
  return { hashes, data };
}
