/**
 * NOT PRIVATE. The σ = 0 limit of DP-RDM's retrieval, for the curator's own utility evaluation only: the same
 * Poisson subsample (node:crypto), exact top-k and clipped mean divided by k as `privateAggregate`, without the
 * Gaussian noise. No ledger can account for it (its ε is infinite), so its result — and anything generated from
 * it — must never be released, exported, logged or shown to anyone but the curator. The studio's generation path
 * never calls this; only core/evaluation does, to draw the "non-private" reference line.
 */
import { clippedMean } from './clipped-mean.ts';
import type { EmbeddingMatrix, EmbeddingRows } from './embedding-matrix.ts';
import { rowsOf } from './resident-store.ts';
import { RandomStream } from './entropy.ts';
import { exactTopK } from './exact-top-k.ts';
import { validateQueryVector } from './private-aggregate.ts';
import { requireCount, requireProbability } from './validate.ts';

export function nonPrivateReferenceAggregate(query: ArrayLike<number>, input: EmbeddingMatrix | EmbeddingRows, params: { readonly k: number; readonly q: number }): Float64Array {
  const store = rowsOf(input);
  const k = requireCount('k', params.k, 1);
  const q = requireProbability('q', params.q);
  const t = validateQueryVector(query, store.dim);
  const subsample = new RandomStream().poissonSubsample(store.rows, q);
  return clippedMean(store, exactTopK(store, t, subsample, k), k);
}
