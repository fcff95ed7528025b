import { describe, expect, it } from 'vitest';
import { cryptoEntropy, RandomStream, roundToNoiseGrid, seededEntropy } from '../../../core/privacy/index.ts';

/** Standard normal CDF via the complementary error function of core/privacy/special.ts. */
import { logNormalTail } from '../../../core/privacy/special.ts';
const normalCdf = (x: number) => 1 - Math.exp(logNormalTail(x));

describe('seeded entropy (node:crypto ChaCha20)', () => {
  it('is deterministic by seed and differs across seeds', () => {
    const a = new RandomStream(seededEntropy(1));
    const b = new RandomStream(seededEntropy(1));
    const c = new RandomStream(seededEntropy(2));
    const xa = Array.from({ length: 8 }, () => a.uniform());
    expect(Array.from({ length: 8 }, () => b.uniform())).toEqual(xa);
    expect(Array.from({ length: 8 }, () => c.uniform())).not.toEqual(xa);
  });
});

describe('uniform', () => {
  it('lies in [0,1) on multiples of 2^-53 with mean ½ and variance 1/12', () => {
    const random = new RandomStream(seededEntropy('uniform'));
    const n = 200_000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const u = random.uniform();
      expect(u >= 0 && u < 1).toBe(true);
      if (i < 1000) expect(Number.isInteger(u * 2 ** 53)).toBe(true);
      sum += u;
      sumSq += u * u;
    }
    const mean = sum / n;
    expect(Math.abs(mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(sumSq / n - mean * mean - 1 / 12)).toBeLessThan(0.002);
  });

  it('uses all 53 bits: low bits are set about half the time', () => {
    const random = new RandomStream(seededEntropy('bits'));
    let lowBit = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) lowBit += (random.uniform() * 2 ** 53) % 2;
    expect(Math.abs(lowBit / n - 0.5)).toBeLessThan(0.02);
  });
});

describe('normal sampler', () => {
  it('has mean 0, variance 1 and passes a Kolmogorov–Smirnov test', () => {
    const random = new RandomStream(seededEntropy('normal'));
    const n = 100_000;
    const xs = new Float64Array(n);
    for (let i = 0; i < n; i++) xs[i] = random.normal();
    const mean = xs.reduce((s, x) => s + x, 0) / n;
    const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1);
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(variance - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    xs.sort();
    let d = 0;
    for (let i = 0; i < n; i++) {
      const cdf = normalCdf(xs[i]!);
      d = Math.max(d, Math.abs(cdf - i / n), Math.abs(cdf - (i + 1) / n));
    }
    // Critical value at significance 0.001: 1.95/√n.
    expect(d).toBeLessThan(1.95 / Math.sqrt(n));
  });

  it('the production source (OS CSPRNG) also produces standard normals', () => {
    const random = new RandomStream(cryptoEntropy());
    const n = 50_000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const x = random.normal();
      sum += x;
      sumSq += x * x;
    }
    expect(Math.abs(sum / n)).toBeLessThan(6 / Math.sqrt(n));
    expect(Math.abs(sumSq / n - 1)).toBeLessThan(6 * Math.sqrt(2 / n));
  });
});

describe('Poisson subsample by geometric gaps', () => {
  it('has Binomial(N, q) size, increasing distinct indices in range', () => {
    const random = new RandomStream(seededEntropy('poisson'));
    const n = 10_000;
    const q = 0.03;
    const sizes: number[] = [];
    for (let t = 0; t < 400; t++) {
      const s = random.poissonSubsample(n, q);
      for (let i = 1; i < s.length; i++) expect(s[i]! > s[i - 1]!).toBe(true);
      if (s.length) expect(s[s.length - 1]! < n).toBe(true);
      sizes.push(s.length);
    }
    const mean = sizes.reduce((a, b) => a + b, 0) / sizes.length;
    const variance = sizes.reduce((a, b) => a + (b - mean) ** 2, 0) / (sizes.length - 1);
    const expectedVar = n * q * (1 - q);
    expect(Math.abs(mean - n * q)).toBeLessThan(5 * Math.sqrt(expectedVar / sizes.length));
    expect(variance / expectedVar).toBeGreaterThan(0.75);
    expect(variance / expectedVar).toBeLessThan(1.3);
  });

  it('includes every index with probability q (first, middle and last alike)', () => {
    const random = new RandomStream(seededEntropy('marginals'));
    const n = 50;
    const q = 0.2;
    const hits = new Array<number>(n).fill(0);
    const trials = 20_000;
    for (let t = 0; t < trials; t++) for (const i of random.poissonSubsample(n, q)) hits[i]!++;
    for (const h of hits) expect(Math.abs(h / trials - q)).toBeLessThan(5 * Math.sqrt((q * (1 - q)) / trials));
  });

  it('is fresh on every call, and covers q = 1 and N = 0', () => {
    const random = new RandomStream(cryptoEntropy());
    const a = Array.from(random.poissonSubsample(100_000, 0.01));
    const b = Array.from(random.poissonSubsample(100_000, 0.01));
    expect(a).not.toEqual(b);
    expect(Array.from(random.poissonSubsample(5, 1))).toEqual([0, 1, 2, 3, 4]);
    expect(random.poissonSubsample(0, 0.5)).toHaveLength(0);
    expect(() => random.poissonSubsample(10, 0)).toThrow();
    expect(() => random.poissonSubsample(-1, 0.5)).toThrow();
  });
});

describe('noise grid rounding', () => {
  it('snaps to multiples of 2^(⌊log2 σ⌋−20), moving each value by at most half a step', () => {
    const sigma = 0.3;
    const step = 2 ** (Math.floor(Math.log2(sigma)) - 20);
    const values = Float64Array.from([0.123456789, -1.987654321, 1e-9, 0]);
    const before = Float64Array.from(values);
    roundToNoiseGrid(values, sigma);
    values.forEach((v, i) => {
      expect(Number.isInteger(v / step)).toBe(true);
      expect(Math.abs(v - before[i]!)).toBeLessThanOrEqual(step / 2);
    });
  });
});
