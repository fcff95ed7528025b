/**
 * The same retrieval as `privateAggregate` over a PUBLIC set (docs/design.md §3, public-only mode): exact top-k of all
 * rows, clipped mean divided by k, and no subsampling or noise — public data needs no protection and costs no
 * budget. Never call this on a private store: it is not differentially private.
 */
import { clippedMean } from './clipped-mean.ts';
import type { EmbeddingMatrix, EmbeddingRows } from './embedding-matrix.ts';
import { rowsOf } from './resident-store.ts';
import { exactTopK } from './exact-top-k.ts';
import { validateQueryVector } from './private-aggregate.ts';
import { requireCount } from './validate.ts';

export function publicAggregate(query: ArrayLike<number>, input: EmbeddingMatrix | EmbeddingRows, k: number): Float64Array {
  const publicSet = rowsOf(input);
  const t = validateQueryVector(query, publicSet.dim);
  const every = Array.from({ length: publicSet.rows }, (_, i) => i);
  return clippedMean(publicSet, exactTopK(publicSet, t, every, requireCount('k', k, 1)), k);
}
