// The SIMD kernel that scores the subsample: the same exact top-k as the scalar loop (ties by the lower row,
// non-finite below finite), on random stores and on crafted ties; stores it cannot hold take the scalar path.
import { describe, expect, it } from 'vitest';
import { exactTopK, innerProduct } from '../../../core/privacy/exact-top-k.ts';
import { allocateEmbeddingMatrix, simdAvailable } from '../../../core/privacy/index.ts';
import type { EmbeddingMatrix } from '../../../core/privacy/index.ts';

function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/** A SIMD-backed store of seeded unit rows, and a plain copy of it (the scalar path). */
function stores(rows: number, dim: number, seed: number): { simd: EmbeddingMatrix; plain: EmbeddingMatrix } {
  const random = xorshift(seed);
  const simd = allocateEmbeddingMatrix(rows, dim);
  for (let r = 0; r < rows; r++) {
    let norm = 0;
    for (let j = 0; j < dim; j++) {
      const v = random() - 0.5;
      simd.data[r * dim + j] = v;
      norm += v * v;
    }
    for (let j = 0; j < dim; j++) simd.data[r * dim + j]! /= Math.sqrt(norm);
  }
  return { simd, plain: { data: Float32Array.from(simd.data), rows, dim } };
}

function unitQuery(dim: number, seed: number): Float64Array {
  const random = xorshift(seed);
  const q = Float64Array.from({ length: dim }, () => random() - 0.5);
  const norm = Math.hypot(...q);
  return q.map((v) => v / norm);
}

describe('SIMD scoring of the subsample', () => {
  it('runs here, and allocates zeroed stores in WebAssembly memory only where the kernel can score them', () => {
    expect(simdAvailable()).toBe(true);
    const store = allocateEmbeddingMatrix(100, 64);
    expect(store).toMatchObject({ rows: 100, dim: 64 });
    expect(store.data).toBeInstanceOf(Float32Array);
    expect(store.data.length).toBe(6400);
    expect(store.data.every((v) => v === 0)).toBe(true);
    expect(store.data.buffer.byteLength).toBeGreaterThan(store.data.byteLength); // its memory also holds the kernel's buffers
    const odd = allocateEmbeddingMatrix(10, 24); // not a multiple of 16: a plain array, the scalar path
    expect(odd.data.buffer.byteLength).toBe(10 * 24 * 4);
  });

  it('gives the scalar loop’s inner products within float32 rounding', () => {
    const { simd } = stores(300, 512, 7);
    const q = unitQuery(512, 8);
    const rows = Uint32Array.from({ length: 300 }, (_, i) => 299 - i);
    const top = exactTopK(simd, q, rows, 300); // every row, ranked
    const scalar = [...rows].sort((a, b) => innerProduct(simd.data, b * 512, q, 512) - innerProduct(simd.data, a * 512, q, 512) || a - b);
    expect(top).toEqual(scalar);
  });

  it('selects the same top-k as the scalar path on random stores, subsamples and k', () => {
    for (const [rows, dim, seed] of [[2000, 64, 1], [1500, 512, 2], [40, 16, 3]] as const) {
      const { simd, plain } = stores(rows, dim, seed);
      const random = xorshift(seed * 101);
      for (let trial = 0; trial < 20; trial++) {
        const q = unitQuery(dim, seed * 1000 + trial);
        const rate = [0.01, 0.1, 0.5, 1][trial % 4]!;
        const subsample = Uint32Array.from(Array.from({ length: rows }, (_, i) => i).filter(() => random() < rate));
        const k = [1, 8, 20, 64][trial % 4]!;
        expect(exactTopK(simd, q, subsample, k)).toEqual(exactTopK(plain, q, subsample, k));
      }
    }
  });

  it('breaks ties by the lower row, ranks non-finite rows last, and returns fewer than k when the subsample is small', () => {
    const dim = 32;
    const simd = allocateEmbeddingMatrix(8, dim);
    const row = (r: number, values: number[]) => simd.data.set(values, r * dim);
    const e0 = [1, ...new Array<number>(dim - 1).fill(0)];
    row(5, e0);
    row(2, e0); // the same score as row 5: row 2 first
    row(7, e0);
    row(1, [0.5, ...new Array<number>(dim - 1).fill(0)]);
    row(3, [Number.NaN, ...new Array<number>(dim - 1).fill(0)]);
    row(4, [-0.5, ...new Array<number>(dim - 1).fill(0)]);
    const plain = { data: Float32Array.from(simd.data), rows: 8, dim };
    const q = Float64Array.from(e0);
    const all = Uint32Array.from([7, 6, 5, 4, 3, 2, 1, 0]);
    expect(exactTopK(simd, q, all, 8)).toEqual([2, 5, 7, 1, 0, 6, 4, 3]);
    expect(exactTopK(plain, q, all, 8)).toEqual([2, 5, 7, 1, 0, 6, 4, 3]);
    expect(exactTopK(simd, q, Uint32Array.from([5, 7]), 4)).toEqual([5, 7]);
    expect(exactTopK(simd, q, new Uint32Array(0), 4)).toEqual([]);
  });

  it('leaves an index outside the store to the scalar path (no read outside the rows)', () => {
    const { simd, plain } = stores(50, 64, 9);
    const q = unitQuery(64, 10);
    const rows = [3, 60, 7];
    expect(exactTopK(simd, q, rows, 3)).toEqual(exactTopK(plain, q, rows, 3));
  });
});
