// The empirical privacy audit (./audit.ts) as a test, on a setting whose claimed single-query ε is 3: the real
// mechanism's 95% lower bound stays below its claim and reaches at least 40% of it (the audit has power), and two
// deliberately broken mechanisms — a quarter of the noise, or the sum of the neighbours instead of their mean — are
// caught (their bound exceeds the claim made for the correct mechanism). Seeded ChaCha20 entropy: reproducible.
// `npm run audit` runs the same with more trials and a subsampled setting.
import { describe, expect, it } from 'vitest';
import { calibrateSigma, privateAggregate } from '../../../core/privacy/index.ts';
import { audit, clopperPearsonLower, clopperPearsonUpper, seeded, type Mechanism } from './audit.ts';

const delta = 1e-5;
const k = 4;
const q = 1;
const sigma = calibrateSigma({ q, k, queries: 1, delta, epsilon: 3 }).sigma;
const setting = { q, sigma, k, delta, trials: 60_000, seed: 'audit-test' };

const real: Mechanism = (t, store, p, seed) => privateAggregate(t, store, p, seeded(seed));
const quarterNoise: Mechanism = (t, store, p, seed) => privateAggregate(t, store, { ...p, sigma: p.sigma / 4 }, seeded(seed));
const noDivisionByK: Mechanism = (t, store, p, seed) => {
  // the sum of the k neighbours with noise σ: the mean's k-fold with σ/k noise, scaled back up
  const mean = privateAggregate(t, store, { ...p, sigma: p.sigma / p.k }, seeded(seed)).vector;
  return { vector: mean.map((v) => v * p.k) };
};

describe('empirical privacy audit', () => {
  it('Clopper–Pearson bounds bracket the rate and tighten with n', () => {
    expect(clopperPearsonLower(0, 100, 0.025)).toBe(0);
    expect(clopperPearsonUpper(100, 100, 0.025)).toBe(1);
    // known values: 5 of 100 → [0.0164, 0.1128] (two-sided 95%)
    expect(clopperPearsonLower(5, 100, 0.025)).toBeCloseTo(0.01643, 4);
    expect(clopperPearsonUpper(5, 100, 0.025)).toBeCloseTo(0.11284, 4);
    expect(clopperPearsonUpper(50, 10_000, 0.025) - clopperPearsonLower(50, 10_000, 0.025)).toBeLessThan(0.0032);
  });

  it('the real privateAggregate: lower bound ≤ claimed ε, and ≥ 40% of it', { timeout: 60_000 }, () => {
    const result = audit(real, setting);
    console.log(`audit (q ${q}, k ${k}, σ ${sigma.toPrecision(4)}): claimed ε ${result.claimedEpsilon.toFixed(3)}, 95% lower bound ${result.epsilonLowerBound.toFixed(3)} (TPR ${result.truePositiveRate.toFixed(4)}, FPR ${result.falsePositiveRate.toFixed(5)})`);
    expect(result.claimedEpsilon).toBeCloseTo(3, 5);
    expect(result.epsilonLowerBound).toBeLessThanOrEqual(result.claimedEpsilon);
    expect(result.epsilonLowerBound).toBeGreaterThanOrEqual(0.4 * result.claimedEpsilon);
  });

  it('catches a mechanism with a quarter of the noise and one that does not divide by k', { timeout: 60_000 }, () => {
    for (const broken of [quarterNoise, noDivisionByK]) {
      const result = audit(broken, setting);
      expect(result.epsilonLowerBound).toBeGreaterThan(result.claimedEpsilon);
    }
  });
});
