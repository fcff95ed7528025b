import { describe, expect, it } from 'vitest';
import { epsilonOfRdp, planFilter, queryRdpAt, samplingRateForSizeClass, type RenyiFilter } from '../../../core/ledger/index.ts';
import { plannedSpend, resolveQuery, type DatasetPlan } from '../../../core/generation/parameters.ts';
import type { RetrievalRange } from '../../../core/ledger/index.ts';

const sizeClass = { lower: 2000, upper: 5000 };
const k = 8;
const q = samplingRateForSizeClass(sizeClass, k);
const { filter } = planFilter({ q, k, generations: 100, epsilonCap: 10, delta: 1e-5 });
const plan: DatasetPlan = { filter, sizeClass, q, k, plannedGenerations: 100, epsilonCap: 10 };
/** A model set trained at k 8 only (the planner then keeps the dataset's k), σ ≤ σmax. */
const trained = (sigmaMax: number, trainedKs: number[] = [8]): RetrievalRange => ({ trainedKs, dim: 64, sigmaMax, influence: { strong: 2, some: 0.7 } });
const cost = (f: RenyiFilter, query: { q: number; k: number; sigma: number }) => epsilonOfRdp(f, queryRdpAt(f, query));

describe('resolveQuery', () => {
  it('derives σ from the cost asked for: the query then costs at most, and close to, that ε; a repeat answers the same σ', () => {
    const first = resolveQuery({ epsilon: 0.7 }, plan, trained(0.1));
    expect(resolveQuery({ epsilon: 0.7 }, plan, trained(0.1)).sigma).toBe(first.sigma);
    expect(first).toMatchObject({ k, q, targetEpsilon: 0.7 });
    const spent = cost(filter, first);
    expect(spent).toBeLessThanOrEqual(0.7);
    expect(spent).toBeGreaterThan(0.7 * 0.999);
    // A larger cost needs less noise and is not served from the cache.
    expect(resolveQuery({ epsilon: 2 }, plan, trained(0.1)).sigma).toBeLessThan(first.sigma);
  });

  it('defaults to the planned spend (cap over planned generations), which fits exactly that many times', () => {
    expect(plannedSpend(plan)).toBe(0.1);
    const planned = resolveQuery({}, plan, trained(1));
    expect(planned.targetEpsilon).toBe(0.1);
    expect(cost(filter, planned)).toBeLessThanOrEqual(0.1);
    expect(100 * cost(filter, planned)).toBeGreaterThan(10 * 0.9999);
  });

  it('uses σ as given, the request’s k and q over the plan, and the class’s q for another k (never the exact N)', () => {
    expect(resolveQuery({ sigma: 0.05, k: 4, q: 0.5 }, plan, trained(0.1))).toMatchObject({ k: 4, q: 0.5, sigma: 0.05, targetEpsilon: undefined, warnings: [] });
    expect(resolveQuery({ sigma: 0.05, k: 32 }, plan, trained(0.1))).toMatchObject({ k: 32, q: samplingRateForSizeClass(sizeClass, 32) });
  });

  it('warns when the subsample is thin at the class’s smallest size and when σ is above the decoder’s training range', () => {
    const { warnings } = resolveQuery({ epsilon: 0.1, q: 0.001 }, plan, trained(0.001));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/holds about 2\.0 images, fewer than 2·k = 16/);
    expect(warnings[1]).toMatch(/above the σ ≤ 0\.001/);
  });

  it('refuses a cost no σ can reach', () => {
    expect(() => resolveQuery({ epsilon: 1e-300 }, plan, trained(0.1))).toThrow(/no noise level makes a generation cost as little as ε 1e-300/);
  });
});

describe('resolveQuery with the planner', () => {
  it('picks the trained k with the least noise at the same cost, with its size class’s q, and names the influence', () => {
    const one = resolveQuery({}, plan, trained(0.2));
    const many = resolveQuery({}, plan, trained(0.2, [8, 16, 32, 64]));
    expect(many.k).toBeGreaterThan(8);
    expect(many.q).toBe(samplingRateForSizeClass(sizeClass, many.k));
    expect(many.sigma).toBeLessThan(one.sigma);
    // The cost is the one asked for, whatever k the planner took.
    expect(cost(filter, many)).toBeLessThanOrEqual(0.1);
    expect(cost(filter, many)).toBeGreaterThan(0.1 * 0.999);
    expect(many.signalToNoise).toBeCloseTo(1 / (many.sigma * 8), 12);
    expect(many.influence).toBe(many.signalToNoise >= 2 ? 'strong' : many.signalToNoise >= 0.7 ? 'some' : 'weak');
  });

  it('keeps a k or q the request names', () => {
    expect(resolveQuery({ k: 8 }, plan, trained(0.2, [8, 64])).k).toBe(8);
    expect(resolveQuery({ q: 0.05 }, plan, trained(0.2, [8, 64]))).toMatchObject({ k: 8, q: 0.05 });
  });
});
