/**
 * Bootstrap intervals for Fréchet distances of generated sets. Every setting has one [prompts × dim] embedding
 * matrix per seed (row p: the image for prompt p). A replicate draws seeds with replacement, then prompts with
 * replacement, then reference rows with replacement, and uses the SAME draw for every setting (a paired bootstrap),
 * so a difference between two settings gets an interval that reflects both seed and prompt variation.
 *
 * FD is biased upward by duplicated rows in a resample (fewer distinct samples), so plain percentile intervals sit
 * above the point estimate. Intervals here are bias-corrected: the replicate distribution is shifted by its mean's
 * offset from the full-sample estimate before the percentiles are taken.
 */
import { frechetDistanceOf, gaussianOf, frechetDistance, type Gaussian } from './frechet.ts';
import { SeededStream } from './random.ts';

export interface Interval {
  readonly low: number;
  readonly high: number;
}

export interface FdBootstrap {
  /** Per setting: the FD of all seeds' images pooled against the whole reference. */
  readonly point: readonly number[];
  /** Per setting and seed: the FD of that seed's images against the whole reference. */
  readonly perSeed: readonly (readonly number[])[];
  /** Per setting: the 95% percentile interval. */
  readonly interval: readonly Interval[];
  /** replicates[b][s]: FD of setting s in replicate b (for paired differences). */
  readonly replicates: readonly (readonly number[])[];
}

function pool(perSeed: readonly Float32Array[], picks: readonly { seed: number; prompt: number }[], dim: number): Float32Array {
  const out = new Float32Array(picks.length * dim);
  picks.forEach((p, i) => out.set(perSeed[p.seed]!.subarray(p.prompt * dim, (p.prompt + 1) * dim), i * dim));
  return out;
}

export function percentileInterval(values: readonly number[], level = 0.95): Interval {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return { low: NaN, high: NaN };
  const at = (p: number) => {
    const x = p * (sorted.length - 1);
    const lo = Math.floor(x);
    const hi = Math.min(sorted.length - 1, lo + 1);
    return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (x - lo);
  };
  return { low: at((1 - level) / 2), high: at(1 - (1 - level) / 2) };
}

/**
 * `settings[s][seed]`: [prompts × dim] embeddings; `reference`: [refCount × dim].
 * Deterministic for a given `seed`.
 */
export function bootstrapFd(settings: readonly (readonly Float32Array[])[], prompts: number, reference: Float32Array, refCount: number, dim: number, replicates: number, seed: number): FdBootstrap {
  const seeds = settings[0]?.length ?? 0;
  if (seeds < 1 || settings.some((s) => s.length !== seeds)) throw new RangeError('every setting needs the same number of seeds (at least one)');
  const refGaussian: Gaussian = gaussianOf(reference, refCount, dim);
  const all = Array.from({ length: seeds }, (_, s) => Array.from({ length: prompts }, (_, p) => ({ seed: s, prompt: p }))).flat();
  const point = settings.map((perSeed) => frechetDistance(gaussianOf(pool(perSeed, all, dim), all.length, dim), refGaussian));
  const perSeed = settings.map((ps) => ps.map((m) => frechetDistanceOf(m, prompts, reference, refCount, dim)));
  const stream = new SeededStream('bootstrap', seed);
  const reps: number[][] = [];
  for (let b = 0; b < replicates; b++) {
    const picks: { seed: number; prompt: number }[] = [];
    for (let s = 0; s < seeds; s++) {
      const chosen = stream.int(seeds);
      for (let p = 0; p < prompts; p++) picks.push({ seed: chosen, prompt: stream.int(prompts) });
    }
    const refRows = new Float32Array(refCount * dim);
    for (let r = 0; r < refCount; r++) {
      const row = stream.int(refCount);
      refRows.set(reference.subarray(row * dim, (row + 1) * dim), r * dim);
    }
    const ref = gaussianOf(refRows, refCount, dim);
    reps.push(settings.map((ps) => frechetDistance(gaussianOf(pool(ps, picks, dim), picks.length, dim), ref)));
  }
  const interval = settings.map((_, s) => biasCorrected(reps.map((r) => r[s]!), point[s]!));
  return { point, perSeed, interval, replicates: reps };
}

/** Percentile interval of `replicates` shifted so that their mean sits on the full-sample `estimate`. */
export function biasCorrected(replicates: readonly number[], estimate: number): Interval {
  const finite = replicates.filter((v) => Number.isFinite(v));
  const bias = finite.reduce((a, v) => a + v, 0) / Math.max(1, finite.length) - estimate;
  const raw = percentileInterval(finite);
  return { low: raw.low - bias, high: raw.high - bias };
}

/** Bias-corrected interval of FD(a) − FD(b) over the paired replicates (positive: b is closer to the reference). */
export function differenceInterval(boot: FdBootstrap, a: number, b: number): Interval {
  return biasCorrected(
    boot.replicates.map((r) => r[a]! - r[b]!),
    boot.point[a]! - boot.point[b]!,
  );
}
