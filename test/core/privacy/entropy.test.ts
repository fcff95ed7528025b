import { describe, expect, it } from 'vitest';
import { cryptoEntropy, RandomStream, roundToNoiseGrid, seededEntropy, type EntropySource } from '../../../core/privacy/index.ts';
import { base256Digits, BYTE_SCAN_MIN_Q } from '../../../core/privacy/entropy.ts';

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

/** An entropy source that hands out the given byte lists, one per fill, each at the start of the target (the rest zero). */
function scriptedEntropy(fills: number[][]): EntropySource {
  return {
    fill(target) {
      const next = fills.shift();
      if (!next) throw new Error('no scripted fill left');
      target.fill(0);
      target.set(next.slice(0, target.length));
    },
  };
}

describe('Poisson subsample (geometric gaps below BYTE_SCAN_MIN_Q, a byte per index from there)', () => {
  it.each([0.03, 0.3])('has Binomial(N, q) size, increasing distinct indices in range (q %s)', (q) => {
    const random = new RandomStream(seededEntropy(`poisson ${q}`));
    const n = 10_000;
    const sizes: number[] = [];
    for (let t = 0; t < 400; t++) {
      const s = random.poissonSubsample(n, q);
      let increasing = true;
      for (let i = 1; i < s.length; i++) increasing &&= s[i]! > s[i - 1]!;
      expect(increasing).toBe(true);
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

  it('writes q in base 256 exactly, to its last non-zero digit', () => {
    for (const q of [0.1, 1 / 3, 0.5, 1 / 16, 0.999999, 2 ** -30 + 2 ** -80, Number.EPSILON, 5e-324]) {
      const digits = base256Digits(q);
      expect(digits.length).toBeGreaterThan(0);
      expect(digits[digits.length - 1]).not.toBe(0);
      // Horner from the last digit: each step is exact, as every partial value is a tail of q's expansion
      let value = 0;
      for (let j = digits.length - 1; j >= 0; j--) value = (value + digits[j]!) / 256;
      expect(value).toBe(q);
    }
    expect(Array.from(base256Digits(0.25))).toEqual([64]);
    expect(Array.from(base256Digits(0.1).subarray(0, 3))).toEqual([25, 153, 153]);
  });

  it('compares each index\'s byte with q\'s first digit, and draws further bytes only on a tie', () => {
    // q 0.1 = 0.[25][153][153]… in base 256. Indices 0–3 share one random word, 4–5 are a tail.
    // The scan's fill comes first; the tie-breaking bytes come from the stream's own buffer, a word per byte.
    const ties = [152, 0, 0, 0, 154, 0, 0, 0, 153, 0, 0, 0, 152, 0, 0, 0];
    const random = new RandomStream(scriptedEntropy([[24, 25, 26, 25, 25, 0, 200, 7], ties]));
    // 24 < 25 in; tie then 152 < 153 in; 26 out; tie then 154 out; tie, 153 = 153, then 152 < 153 in; 0 in
    expect(Array.from(random.poissonSubsample(6, 0.1))).toEqual([0, 1, 4, 5]);
    // q = 64/256 exactly: a byte equal to 64 means U ≥ q, and no further byte is drawn
    const exact = new RandomStream(scriptedEntropy([[63, 64, 65, 64]]));
    expect(Array.from(exact.poissonSubsample(4, 0.25))).toEqual([0]);
    expect(BYTE_SCAN_MIN_Q).toBeLessThanOrEqual(0.1);
  });

  it('keeps order and range across the scan\'s chunks of random bytes', () => {
    const random = new RandomStream(seededEntropy('chunks'));
    const n = 2 * 65_536 + 7;
    const q = 0.5;
    const s = random.poissonSubsample(n, q);
    expect(s.every((v, i) => i === 0 || v > s[i - 1]!)).toBe(true);
    expect(s[s.length - 1]!).toBeLessThan(n);
    expect(Math.abs(s.length - n * q)).toBeLessThan(5 * Math.sqrt(n * q * (1 - q)));
    // each chunk's share near q: a chunk left unscanned or scanned twice would show
    for (const [from, to] of [[0, 65_536], [65_536, 131_072], [131_072, n]] as const) {
      const inChunk = s.filter((i) => i >= from && i < to).length;
      expect(Math.abs(inChunk - (to - from) * q)).toBeLessThan(5 * Math.sqrt((to - from) * q * (1 - q)) + 3);
    }
  });

  it('is fresh on every call, and covers q = 1 and N = 0', () => {
    const random = new RandomStream(cryptoEntropy());
    for (const q of [0.01, 0.2]) {
      const a = Array.from(random.poissonSubsample(100_000, q));
      const b = Array.from(random.poissonSubsample(100_000, q));
      expect(a).not.toEqual(b);
    }
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
