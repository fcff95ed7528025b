/**
 * DP-RDM's private retrieval, docs/design.md §3 steps 2–5: Poisson subsample → exact top-k of the subsample →
 * clipped mean divided by k → Gaussian noise → rounding to a grid below σ.
 *
 * The caller must hold a ledger charge for exactly these parameters before calling (docs/design.md §5).
 * The result carries the noisy vector and nothing else: no ids, no subsample size, no pre-noise aggregate,
 * no timing; every intermediate stays in this function's frame.
 */
import { clippedMean } from './clipped-mean.ts';
import type { EmbeddingMatrix, EmbeddingRows } from './embedding-matrix.ts';
import { rowsOf } from './resident-store.ts';
import { RandomStream, roundToNoiseGrid, type EntropySource } from './entropy.ts';
import { PrivacyParameterError } from './errors.ts';
import { exactTopK } from './exact-top-k.ts';
import { requireCount, requirePositiveFinite, requireProbability } from './validate.ts';

export interface AggregateParameters {
  readonly k: number;
  readonly q: number;
  readonly sigma: number;
}

/** The released value r̃ = r + N(0, σ²I), rounded to the noise grid. */
export interface NoisyAggregate {
  readonly vector: Float64Array;
}

export interface AggregateOptions {
  /** Only tests inject a seeded source; production always uses the OS CSPRNG. */
  readonly entropy?: EntropySource;
}

export function validateQueryVector(query: ArrayLike<number>, dim: number): Float64Array {
  if (query.length !== dim) throw new PrivacyParameterError('query', `has ${query.length} dimensions, the store has ${dim}`);
  const copy = Float64Array.from(query);
  for (const v of copy) if (!Number.isFinite(v)) throw new PrivacyParameterError('query', 'contains NaN or ±∞');
  return copy;
}

export function privateAggregate(
  query: ArrayLike<number>,
  input: EmbeddingMatrix | EmbeddingRows,
  params: AggregateParameters,
  options: AggregateOptions = {},
): NoisyAggregate {
  const store = rowsOf(input);
  const k = requireCount('k', params.k, 1);
  const q = requireProbability('q', params.q);
  const sigma = requirePositiveFinite('sigma', params.sigma);
  const t = validateQueryVector(query, store.dim);
  const random = new RandomStream(options.entropy);

  const subsample = random.poissonSubsample(store.rows, q);
  const neighbours = exactTopK(store, t, subsample, k);
  const noisy = clippedMean(store, neighbours, k);
  for (let j = 0; j < noisy.length; j++) noisy[j]! += sigma * random.normal();
  roundToNoiseGrid(noisy, sigma);
  for (const v of noisy) {
    // Unreachable for validated inputs; refuse rather than release a non-finite vector.
    if (!Number.isFinite(v)) throw new Error('private aggregate produced a non-finite value; nothing was released');
  }
  return { vector: noisy };
}
