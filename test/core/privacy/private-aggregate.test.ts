import { describe, expect, it } from 'vitest';
import { PrivacyParameterError, privateAggregate, RandomStream, seededEntropy, type EmbeddingMatrix } from '../../../core/privacy/index.ts';
import { clippedMean } from '../../../core/privacy/clipped-mean.ts';
import { exactTopK } from '../../../core/privacy/exact-top-k.ts';

function unitRows(rows: number, dim: number, seed: string): EmbeddingMatrix {
  const random = new RandomStream(seededEntropy(seed));
  const data = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    let norm = 0;
    for (let j = 0; j < dim; j++) {
      const v = random.normal();
      data[r * dim + j] = v;
      norm += v * v;
    }
    norm = Math.sqrt(norm);
    for (let j = 0; j < dim; j++) data[r * dim + j]! /= norm;
  }
  return { data, rows, dim };
}

const l2 = (a: Float64Array, b: Float64Array) => Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0));
const queryVector = (dim: number, seed: string) => Float64Array.from(unitRows(1, dim, seed).data);

describe('sensitivity: adjacent datasets move the pre-noise aggregate by at most 2/k', () => {
  it('holds on 1,000 random adjacent pairs (D and D plus one row, same subsample randomness)', () => {
    const random = new RandomStream(seededEntropy('adjacent'));
    const dim = 16;
    let worst = 0;
    for (let pair = 0; pair < 1000; pair++) {
      const n = 5 + Math.floor(random.uniform() * 60);
      const k = 1 + Math.floor(random.uniform() * 12);
      const base = unitRows(n, dim, `pair-${pair}`);
      // The extra row: sometimes a copy of an existing row or a row right next to the query (worst cases).
      const query = queryVector(dim, `query-${pair}`);
      const extra = random.uniform() < 0.3 ? Float32Array.from(query) : unitRows(1, dim, `extra-${pair}`).data;
      const at = Math.floor(random.uniform() * (n + 1));
      const data = new Float32Array((n + 1) * dim);
      data.set(base.data.subarray(0, at * dim), 0);
      data.set(extra, at * dim);
      data.set(base.data.subarray(at * dim), (at + 1) * dim);
      const neighbourD: EmbeddingMatrix = { data, rows: n + 1, dim };
      // Same coin flips for the shared rows; the extra row's own coin is the adjacent world's choice.
      const sampledBase = random.poissonSubsample(n, 0.3 + 0.7 * random.uniform());
      const sampledNeighbour = Array.from(sampledBase, (i) => (i < at ? i : i + 1));
      sampledNeighbour.push(at);
      sampledNeighbour.sort((a, b) => a - b);
      const r = clippedMean(base, exactTopK(base, query, sampledBase, k), k);
      const rPrime = clippedMean(neighbourD, exactTopK(neighbourD, query, sampledNeighbour, k), k);
      const moved = l2(r, rPrime);
      worst = Math.max(worst, moved * k);
      expect(moved).toBeLessThanOrEqual(2 / k + 1e-9);
    }
    expect(worst).toBeGreaterThan(1); // the test does reach the interesting regime
  });

  it('a row with norm above 1 is clipped, so it moves the aggregate by at most 2/k too', () => {
    const dim = 4;
    const base: EmbeddingMatrix = { data: Float32Array.from([1, 0, 0, 0, 0, 1, 0, 0]), rows: 2, dim };
    const big: EmbeddingMatrix = { data: Float32Array.from([1, 0, 0, 0, 0, 1, 0, 0, -100, 0, 0, 0]), rows: 3, dim };
    const query = Float64Array.from([-1, 0, 0, 0]);
    const k = 2;
    const r = clippedMean(base, exactTopK(base, query, [0, 1], k), k);
    const rPrime = clippedMean(big, exactTopK(big, query, [0, 1, 2], k), k);
    expect(l2(r, rPrime)).toBeLessThanOrEqual(2 / k + 1e-9);
  });
});

describe('exact top-k over the subsample only', () => {
  it('equals a brute-force sort with ties broken by the lower row index', () => {
    const store = unitRows(300, 8, 'topk');
    // Duplicate rows create exact ties.
    store.data.copyWithin(10 * 8, 20 * 8, 21 * 8);
    const query = queryVector(8, 'topk-q');
    const rows = Array.from({ length: 300 }, (_, i) => i).filter((i) => i % 3 !== 1);
    const score = (i: number) => {
      let s = 0;
      for (let j = 0; j < 8; j++) s += store.data[i * 8 + j]! * query[j]!;
      return s;
    };
    const brute = [...rows].sort((a, b) => score(b) - score(a) || a - b).slice(0, 7);
    expect(exactTopK(store, query, rows, 7)).toEqual(brute);
  });

  it('gives the identical aggregate whether the full store or only the sampled rows are present', () => {
    const store = unitRows(2000, 12, 'full');
    const query = queryVector(12, 'full-q');
    const sampled = new RandomStream(seededEntropy('sample')).poissonSubsample(store.rows, 0.05);
    const onlySampled = new Float32Array(sampled.length * 12);
    sampled.forEach((row, i) => onlySampled.set(store.data.subarray(row * 12, row * 12 + 12), i * 12));
    const small: EmbeddingMatrix = { data: onlySampled, rows: sampled.length, dim: 12 };
    const k = 9;
    const fromFull = clippedMean(store, exactTopK(store, query, sampled, k), k);
    const fromSample = clippedMean(small, exactTopK(small, query, Array.from({ length: sampled.length }, (_, i) => i), k), k);
    expect(Array.from(fromSample)).toEqual(Array.from(fromFull));
    // And end to end with the same entropy: the mechanism samples nothing outside what it is given.
    const qAll = 1;
    const a = privateAggregate(query, small, { k, q: qAll, sigma: 0.1 }, { entropy: seededEntropy('e2e') });
    const b = privateAggregate(query, small, { k, q: qAll, sigma: 0.1 }, { entropy: seededEntropy('e2e') });
    expect(Array.from(a.vector)).toEqual(Array.from(b.vector));
  });
});

describe('privateAggregate', () => {
  it('returns only the noisy vector', () => {
    const store = unitRows(100, 8, 'shape');
    const result = privateAggregate(queryVector(8, 'q'), store, { k: 5, q: 0.5, sigma: 0.2 });
    expect(Object.keys(result)).toEqual(['vector']);
    expect(result.vector).toBeInstanceOf(Float64Array);
    expect(result.vector).toHaveLength(8);
  });

  it('subsample sizes 0, 1, k−1, k, k+1 all return a d-vector and never throw', () => {
    const k = 6;
    for (const n of [0, 1, k - 1, k, k + 1]) {
      const store = unitRows(n, 8, `n-${n}`);
      const result = privateAggregate(queryVector(8, 'q'), store, { k, q: 1, sigma: 0.1 });
      expect(result.vector).toHaveLength(8);
      expect(Array.from(result.vector).every(Number.isFinite)).toBe(true);
    }
  });

  it('divides by k with zero-padding: one sampled row of value v gives v/k before noise', () => {
    const store: EmbeddingMatrix = { data: Float32Array.from([0.6, 0.8]), rows: 1, dim: 2 };
    const k = 4;
    const mean = clippedMean(store, exactTopK(store, Float64Array.from([1, 0]), [0], k), k);
    expect(mean[0]).toBeCloseTo(0.6 / k, 7);
    expect(mean[1]).toBeCloseTo(0.8 / k, 7);
    // With small noise the released vector is close to v/k, not to v.
    const result = privateAggregate([1, 0], store, { k, q: 1, sigma: 1e-6 });
    expect(result.vector[0]).toBeCloseTo(0.15, 4);
  });

  it('adds noise of standard deviation σ', () => {
    const store = unitRows(50, 64, 'noise');
    const query = queryVector(64, 'nq');
    const sigma = 0.5;
    const a = privateAggregate(query, store, { k: 5, q: 1, sigma }, { entropy: seededEntropy('n1') });
    const b = privateAggregate(query, store, { k: 5, q: 1, sigma }, { entropy: seededEntropy('n2') });
    // With q = 1 the pre-noise aggregate is identical, so a − b ~ N(0, 2σ²).
    const diffs = Array.from(a.vector, (v, i) => v - b.vector[i]!);
    const variance = diffs.reduce((s, d) => s + d * d, 0) / diffs.length;
    expect(variance / (2 * sigma * sigma)).toBeGreaterThan(0.6);
    expect(variance / (2 * sigma * sigma)).toBeLessThan(1.5);
  });

  it('rejects bad parameters and bad queries with a typed error, whatever the data', () => {
    const store = unitRows(10, 4, 'bad');
    const good = { k: 2, q: 0.5, sigma: 0.1 };
    for (const params of [
      { ...good, k: 0 },
      { ...good, k: 1.5 },
      { ...good, q: 0 },
      { ...good, q: 2 },
      { ...good, sigma: 0 },
      { ...good, sigma: NaN },
      { ...good, sigma: Infinity },
    ]) {
      expect(() => privateAggregate([1, 0, 0, 0], store, params)).toThrow(PrivacyParameterError);
    }
    expect(() => privateAggregate([1, 0, 0], store, good)).toThrow(PrivacyParameterError);
    expect(() => privateAggregate([NaN, 0, 0, 0], store, good)).toThrow(PrivacyParameterError);
    expect(() => privateAggregate([1, 0, 0, 0], { data: new Float32Array(3), rows: 1, dim: 4 }, good)).toThrow(PrivacyParameterError);
  });

  it('a stored row with NaN contributes nothing instead of raising a data-dependent error', () => {
    const store: EmbeddingMatrix = { data: Float32Array.from([NaN, 0, 1, 0]), rows: 2, dim: 2 };
    const result = privateAggregate([1, 0], store, { k: 2, q: 1, sigma: 0.01 });
    expect(Array.from(result.vector).every(Number.isFinite)).toBe(true);
  });
});
