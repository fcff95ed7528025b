import { describe, expect, it } from 'vitest';
import {
  epsilonOfRdp,
  folderInfluence,
  planDatasetK,
  planFilter,
  planGeneration,
  queryRdpAt,
  samplingRateForSizeClass,
  sigmaForCost,
  signalToNoise,
  type RetrievalRange,
} from '../../../core/ledger/index.ts';

const range: RetrievalRange = { trainedKs: [8, 16, 32, 64], dim: 64, sigmaMax: 0.2, influence: { strong: 3, some: 1.5 } };
const demo = { sizeClass: { lower: 2000, upper: 5000 }, epsilonCap: 10, delta: 1e-5, plannedGenerations: 100 };

describe('signalToNoise and folderInfluence', () => {
  it('is 1/(σ·√d), infinite without noise, and names the thresholds measured for the model set', () => {
    expect(signalToNoise(0.125, 64)).toBeCloseTo(1, 12);
    expect(signalToNoise(0, 64)).toBe(Infinity);
    expect(folderInfluence(1 / (3 * 8), range)).toBe('strong');
    expect(folderInfluence(1 / (2.99 * 8), range)).toBe('some');
    expect(folderInfluence(1 / (1.5 * 8), range)).toBe('some');
    expect(folderInfluence(1 / (1.49 * 8), range)).toBe('weak');
    expect(folderInfluence(0, range)).toBe('strong');
  });
});

describe('planDatasetK', () => {
  it('chooses the trained k with the least noise at the planned spend, every k’s σ recomputed here', () => {
    const chosen = planDatasetK(demo, range)!;
    const sigmas = range.trainedKs.map((k) => {
      const q = samplingRateForSizeClass(demo.sizeClass, k);
      const { filter } = planFilter({ q, k, generations: 100, epsilonCap: 10, delta: 1e-5 });
      return sigmaForCost(filter, { q, k }, 0.1)!;
    });
    expect(chosen.sigma).toBe(Math.min(...sigmas));
    expect(chosen.k).toBe(range.trainedKs[sigmas.indexOf(chosen.sigma)]);
    expect(chosen.q).toBe(samplingRateForSizeClass(demo.sizeClass, chosen.k));
    // The subsample at the class's smallest size holds at least 4 rows per neighbour.
    expect(chosen.q * demo.sizeClass.lower).toBeGreaterThanOrEqual(4 * chosen.k);
  });

  it('never plans a k the class’s smallest subsample cannot hold 4 times over; a class too small for all gets the least k', () => {
    const small = { ...demo, sizeClass: { lower: 100, upper: 200 } };
    expect(planDatasetK(small, range)!.k).toBeLessThanOrEqual(100 / 4);
    const tiny = { ...demo, sizeClass: { lower: 20, upper: 50 } };
    expect(planDatasetK(tiny, range)!).toMatchObject({ k: 8, q: 1 });
    const k = 8;
    const { filter } = planFilter({ q: 1, k, generations: 100, epsilonCap: 10, delta: 1e-5 });
    expect(planGeneration({ filter, sizeClass: tiny.sizeClass, k, q: 1 }, 0.5, range)!.k).toBe(8);
  });

  it('only chooses among the trained ks, and gives nothing when no k can meet the plan', () => {
    expect(planDatasetK(demo, { ...range, trainedKs: [16] })!.k).toBe(16);
    expect(planDatasetK({ ...demo, epsilonCap: 1e-9 }, range)).toBeUndefined();
  });
});

describe('planGeneration', () => {
  const k = 8;
  const q = samplingRateForSizeClass(demo.sizeClass, k);
  const { filter } = planFilter({ q, k, generations: 100, epsilonCap: 10, delta: 1e-5 });
  const plan = { filter, sizeClass: demo.sizeClass, k, q };

  it('costs the ε asked for at whichever k it picks, and less ε buys more noise', () => {
    for (const epsilon of [0.05, 0.1, 0.5, 2]) {
      const p = planGeneration(plan, epsilon, range)!;
      const spent = epsilonOfRdp(filter, queryRdpAt(filter, p));
      expect(spent).toBeLessThanOrEqual(epsilon);
      expect(spent).toBeGreaterThan(epsilon * 0.999);
    }
    expect(planGeneration(plan, 0.05, range)!.sigma).toBeGreaterThan(planGeneration(plan, 0.5, range)!.sigma);
  });

  it('uses the dataset’s own q for the dataset’s k', () => {
    const p = planGeneration({ ...plan, q: 0.5 }, 0.1, { ...range, trainedKs: [] })!;
    expect(p).toMatchObject({ k: 8, q: 0.5 });
  });
});
