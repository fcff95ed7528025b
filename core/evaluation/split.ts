/**
 * The evaluation split: a seeded random subset of a dataset's rows is held out as the reference for quality
 * metrics (its captions are the prompts); only the remaining rows are retrieved from. The split depends on the
 * row count and the seed only, never on image content, so every evaluation run with the same seed on the same
 * dataset holds out the same rows, and the two parts are disjoint and cover the dataset.
 */
import { SeededStream } from './random.ts';

export interface EvaluationSplit {
  /** Held-out rows (ascending): the reference images and, where captions exist, the prompts. */
  readonly heldOut: readonly number[];
  /** Rows the evaluation's queries retrieve from (ascending). */
  readonly retrieval: readonly number[];
}

export const MIN_RETRIEVAL_ROWS = 16;
export const MIN_HELD_OUT_ROWS = 8;

/** Holds out round(fraction·rows) rows (at least 8, leaving at least 16 to retrieve from). */
export function evaluationSplit(rows: number, heldOutFraction: number, seed: number): EvaluationSplit {
  if (!(Number.isInteger(rows) && rows >= MIN_RETRIEVAL_ROWS + MIN_HELD_OUT_ROWS)) {
    throw new RangeError(`an evaluation needs at least ${MIN_RETRIEVAL_ROWS + MIN_HELD_OUT_ROWS} images, the dataset has ${rows}`);
  }
  if (!(heldOutFraction > 0 && heldOutFraction < 1)) throw new RangeError(`the held-out fraction must be in (0, 1), got ${heldOutFraction}`);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`the split seed must be a non-negative integer, got ${seed}`);
  const count = Math.min(rows - MIN_RETRIEVAL_ROWS, Math.max(MIN_HELD_OUT_ROWS, Math.round(rows * heldOutFraction)));
  const order = new SeededStream('split', seed).permutation(rows);
  const held = new Uint8Array(rows);
  for (let i = 0; i < count; i++) held[order[i]!] = 1;
  const heldOut: number[] = [];
  const retrieval: number[] = [];
  for (let r = 0; r < rows; r++) (held[r] ? heldOut : retrieval).push(r);
  return { heldOut, retrieval };
}

/** The rows `indices` of a row-major [*, dim] matrix, copied into a new contiguous array. */
export function selectRows(data: Float32Array, dim: number, indices: readonly number[]): Float32Array {
  const out = new Float32Array(indices.length * dim);
  indices.forEach((r, i) => out.set(data.subarray(r * dim, (r + 1) * dim), i * dim));
  return out;
}
