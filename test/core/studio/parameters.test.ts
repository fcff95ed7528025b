import { describe, expect, it } from 'vitest';
import { calibrateSigma, epsilon } from '../../../core/privacy/index.ts';
import { defaultQuery, resolveQuery, signalToNoise } from '../../../core/studio/parameters.ts';

describe('defaultQuery', () => {
  it('takes q so that N·q ≈ 20·k, capped at 1', () => {
    expect(defaultQuery(2000, 8)).toEqual({ k: 8, q: 0.08 });
    expect(defaultQuery(100, 8)).toEqual({ k: 8, q: 1 });
    expect(() => defaultQuery(0, 8)).toThrow(RangeError);
  });
});

describe('resolveQuery', () => {
  it('calibrates σ for one query so that its ε is at most, and close to, the target; a repeat answers the same σ', () => {
    const first = resolveQuery({ epsilon: 0.7 }, 2000, 8, 5e-6, 0.1);
    const again = resolveQuery({ epsilon: 0.7 }, 2000, 8, 5e-6, 0.1);
    expect(again.sigma).toBe(first.sigma);
    expect(first.sigma).toBe(calibrateSigma({ q: 0.08, k: 8, queries: 1, delta: 5e-6, epsilon: 0.7 }).sigma);
    const spent = epsilon({ q: first.q, sigma: first.sigma, k: first.k, queries: 1, delta: 5e-6 }).epsilon;
    expect(spent).toBeLessThanOrEqual(0.7);
    expect(spent).toBeGreaterThan(0.7 * 0.999);
    // A different target is not served from the cache.
    expect(resolveQuery({ epsilon: 2 }, 2000, 8, 5e-6, 0.1).sigma).toBeLessThan(first.sigma);
  });

  it('uses σ as given, and the request’s k and q over the defaults', () => {
    expect(resolveQuery({ sigma: 0.05, k: 4, q: 0.5 }, 2000, 8, 5e-6, 0.1)).toMatchObject({ k: 4, q: 0.5, sigma: 0.05, targetEpsilon: undefined, warnings: [] });
  });

  it('warns when the subsample is thin and when σ is above the decoder’s training range', () => {
    const { warnings } = resolveQuery({ epsilon: 0.1, q: 0.001 }, 2000, 8, 5e-6, 0.1);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/about 2\.0 images on average, fewer than 2·k = 16/);
    expect(warnings[1]).toMatch(/above the σ ≤ 0\.1/);
  });

  it('refuses a request with neither ε nor σ, and an ε no σ can reach', () => {
    expect(() => resolveQuery({}, 2000, 8, 5e-6, 0.1)).toThrow(/give epsilon or sigma/);
    expect(() => resolveQuery({ epsilon: 1e-12 }, 2000, 8, 5e-6, 0.1)).toThrow(/no noise level gives ε ≤ 1e-12/);
  });
});

describe('signalToNoise', () => {
  it('is the unit aggregate norm over the expected noise norm σ·√d', () => {
    expect(signalToNoise(0.125, 64)).toBeCloseTo(1, 12);
  });
});
