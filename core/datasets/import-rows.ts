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
  for (let r = 0; r < matrix.rows; r++) {
    const row = matrix.data.subarray(r * matrix.cols, (r + 1) * matrix.cols);
    let sum = 0;
    for (const v of row) {
      if (!Number.isFinite(v)) throw new DatasetInputError(`row ${r} (id "${ids[r]}") holds a non-finite value`);
      sum += v * v;
    }
    const norm = Math.sqrt(sum);
    if (!(Math.abs(norm - 1) <= NORM_TOLERANCE)) {
      throw new DatasetInputError(`row ${r} (id "${ids[r]}") has norm ${norm.toPrecision(6)}; embeddings must be unit-norm (normalise them, and check they come from model set ${modelSet})`);
    }
    normalizeInto(row, data, r * matrix.cols);
  }
  return { hashes, data };
}
