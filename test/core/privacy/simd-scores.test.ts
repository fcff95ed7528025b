// The SIMD kernel that scores the subsample: the same exact top-k as the scalar loop (ties by the lower row,
// non-finite below finite), on random stores and on crafted ties; stores it cannot hold take the scalar path.
import { describe, expect, it } from 'vitest';
import { exactTopK } from '../../../core/privacy/exact-top-k.ts';
import { ROWS_PER_PASS } from '../../../core/privacy/simd-scores.ts';
import { innerProduct, rowsOf } from '../../../core/privacy/resident-store.ts';
import { allocateEmbeddingMatrix, allocateResidentStore, decodeFloat16, encodeFloat16, float16Bits, ResidentStore, simdAvailable } from '../../../core/privacy/index.ts';
import type { EmbeddingMatrix, EmbeddingRows } from '../../../core/privacy/index.ts';
import { unitQuery, unitRows, xorshift } from './seeded-rows.ts';

/** A SIMD-backed store of seeded unit rows, and a plain copy of it (the scalar path). */
function stores(rows: number, dim: number, seed: number): { simd: EmbeddingMatrix; plain: EmbeddingMatrix } {
  const simd = allocateEmbeddingMatrix(rows, dim);
  unitRows(rows, dim, seed, simd.data);
  return { simd, plain: { data: Float32Array.from(simd.data), rows, dim } };
}

/** The SIMD store and the scalar one select the same top-k on random subsamples, rates and k. */
function expectSameTopK(make: (rows: number, dim: number, seed: number) => { simd: EmbeddingMatrix | EmbeddingRows; plain: EmbeddingMatrix | EmbeddingRows }, seeds: readonly number[]): void {
  for (const [rows, dim, seed] of [[2000, 64, seeds[0]!], [1500, 512, seeds[1]!], [40, 16, seeds[2]!]] as const) {
    const { simd, plain } = make(rows, dim, seed);
    const random = xorshift(seed * 101);
    for (let trial = 0; trial < 20; trial++) {
      const q = unitQuery(dim, seed * 1000 + trial);
      const rate = [0.01, 0.1, 0.5, 1][trial % 4]!;
      const subsample = Uint32Array.from(Array.from({ length: rows }, (_, i) => i).filter(() => random() < rate));
      const k = [1, 8, 20, 64][trial % 4]!;
      expect(exactTopK(simd, q, subsample, k)).toEqual(exactTopK(plain, q, subsample, k));
    }
  }
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
    expectSameTopK(stores, [1, 2, 3]);
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

  it('scores each row of a list of any length as it scores that row alone (the padded last group changes nothing)', () => {
    const simd = rowsOf(stores(64, 64, 13).simd);
    const q = unitQuery(64, 14);
    const alone = Array.from({ length: 64 }, (_, r) => simd.scores(q, [r])[0]!);
    for (let length = 1; length <= 2 * ROWS_PER_PASS + 3; length++) {
      const rows = Array.from({ length }, (_, i) => (i * 37) % 64);
      expect(Array.from(simd.scores(q, rows))).toEqual(rows.map((r) => alone[r]));
    }
  });

  it('refuses an index outside the store on every path (the kernel never reads outside the rows)', () => {
    const { simd, plain } = stores(50, 64, 9);
    const q = unitQuery(64, 10);
    for (const rows of [[3, 60, 7], [3, -1], [2.5]]) {
      expect(() => exactTopK(simd, q, rows, 3)).toThrow(RangeError);
      expect(() => exactTopK(plain, q, rows, 3)).toThrow(RangeError);
    }
  });
});

/** A float16 store of the same seeded rows, in a SIMD arena and as a plain array (the scalar path). */
function halfStores(rows: number, dim: number, seed: number): { simd: ResidentStore; plain: ResidentStore } {
  const { plain } = stores(rows, dim, seed);
  const simd = allocateResidentStore(rows, dim, 'float16');
  encodeFloat16(plain.data, simd.values as Uint16Array);
  return { simd, plain: new ResidentStore(rows, dim, 'float16', undefined, Uint16Array.from(simd.values)) };
}

describe('SIMD scoring of a float16 store', () => {
  it('holds the store in an arena at half the bytes of float32', () => {
    const { simd, plain } = halfStores(100, 64, 4);
    expect(simd.simd).toBe(true);
    expect(plain.simd).toBe(false);
    expect(simd.values).toBeInstanceOf(Uint16Array);
    expect(simd.bytes.byteLength).toBe(100 * 64 * 2);
  });

  it('gives the exact decoded inner products within float32 rounding, and the same ranking', () => {
    const { simd, plain } = halfStores(300, 512, 11);
    const q = unitQuery(512, 12);
    const rows = Uint32Array.from({ length: 300 }, (_, i) => 299 - i);
    const fast = simd.scores(q, rows);
    const exact = plain.scores(q, rows);
    for (let r = 0; r < rows.length; r++) expect(Math.abs(fast[r]! - exact[r]!)).toBeLessThan(1e-5);
    expect(exactTopK(simd, q, rows, 300)).toEqual(exactTopK(plain, q, rows, 300));
  });

  it('selects the same top-k as the scalar float16 path on random stores, subsamples and k', () => {
    expectSameTopK(halfStores, [21, 22, 23]);
  });

  it('decodes subnormals, signs, ∞ and NaN exactly: ties by the lower row, non-finite rows last', () => {
    const dim = 16;
    const simd = allocateResidentStore(8, dim, 'float16');
    const bits = simd.values as Uint16Array;
    const row = (r: number, first: number) => bits.set([first, ...new Array<number>(dim - 1).fill(0)], r * dim);
    row(0, 0x0001); // the smallest subnormal, 2^-24
    row(1, 0x3c00); // 1
    row(2, 0x3c00); // 1 again: a tie, row 1 first
    row(3, 0x7c00); // +∞
    row(4, 0xfc00); // −∞
    row(5, 0x7e00); // NaN
    row(6, 0xbc00); // −1
    row(7, 0x03ff); // the largest subnormal
    const q = Float64Array.from([1, ...new Array<number>(dim - 1).fill(0)]);
    const all = [0, 1, 2, 3, 4, 5, 6, 7];
    const scores = simd.scores(q, all);
    expect(Array.from(scores)).toEqual([2 ** -24, 1, 1, Infinity, -Infinity, Number.NaN, -1, 1023 * 2 ** -24]);
    const plain = new ResidentStore(8, dim, 'float16', undefined, Uint16Array.from(bits));
    expect(exactTopK(simd, q, all, 8)).toEqual([1, 2, 7, 0, 6, 3, 4, 5]);
    expect(exactTopK(plain, q, all, 8)).toEqual([1, 2, 7, 0, 6, 3, 4, 5]);
    const out = new Float64Array(dim);
    simd.readRow(7, out);
    expect(out[0]).toBe(1023 * 2 ** -24);
  });
});

describe('the two float16 kernels', () => {
  it('score every finite row bit-for-bit alike: beside an ∞ row (the pass is scored again), alone, and for a query too large to scale', () => {
    const dim = 64;
    const { simd } = halfStores(41, dim, 31);
    (simd.values as Uint16Array)[40 * dim + 5] = 0x7c00; // row 40 holds +∞
    const q = unitQuery(dim, 32);
    const finite = Uint32Array.from({ length: 32 }, (_, i) => i);
    const alone = Float32Array.from(simd.scores(q, finite));
    const beside = Float32Array.from(simd.scores(q, [40, ...finite]));
    expect(beside[0]).toBe(q[5]! > 0 ? Infinity : -Infinity);
    for (let r = 0; r < 32; r++) expect(beside[r + 1]).toBe(alone[r]);
    // scaled by 2^16 the query leaves the fast kernel's range; every product and sum scales exactly by 2^16
    const large = simd.scores(q.map((v) => v * 2 ** 16), finite);
    for (let r = 0; r < 32; r++) expect(large[r]).toBe(alone[r]! * 2 ** 16);
  });
});

describe('float16 patterns', () => {
  it('round-trips every non-NaN pattern, and keeps NaN a NaN', () => {
    const all = Uint16Array.from({ length: 65536 }, (_, h) => h);
    const values = decodeFloat16(all);
    for (let h = 0; h < 65536; h++) {
      if (Number.isNaN(values[h])) expect(Number.isNaN(decodeFloat16([float16Bits(values[h]!)])[0])).toBe(true);
      else expect(float16Bits(values[h]!)).toBe(h);
    }
  });

  it('encodes every float32 (a stride through all 2^32 patterns) as the nearest binary16, ties to the even pattern', () => {
    const bits = Uint32Array.from({ length: 1 << 21 }, (_, i) => (i * 2049 + (i & 0x7ff)) >>> 0);
    const values = new Float32Array(bits.buffer);
    const encoded = encodeFloat16(values);
    const halves = decodeFloat16(Uint16Array.from({ length: 65536 }, (_, h) => h));
    let wrong = 0;
    for (let i = 0; i < values.length; i++) {
      const x = values[i]!;
      const h = encoded[i]!;
      if (Number.isNaN(x)) {
        wrong += Number.isNaN(halves[h]) ? 0 : 1;
        continue;
      }
      // beyond 65520 (half-way to 2^16) the nearest is ∞; otherwise no neighbour of the same sign is nearer, and a tie goes to the even pattern
      if (Math.abs(x) >= 65520) {
        wrong += halves[h] === (x > 0 ? Infinity : -Infinity) ? 0 : 1;
        continue;
      }
      const error = Math.abs(x - halves[h]!);
      for (const neighbour of [h - 1, h + 1]) {
        if ((neighbour & 0x8000) !== (h & 0x8000) || (neighbour & 0x7fff) >= 0x7c00 || neighbour < 0) continue;
        const other = Math.abs(x - halves[neighbour]!);
        if (other < error || (other === error && (h & 1) === 1)) wrong++;
      }
      if (x === 0 ? h !== (Object.is(x, -0) ? 0x8000 : 0) : Math.sign(halves[h]!) * Math.sign(x) === -1) wrong++;
    }
    expect(wrong).toBe(0);
  });

  it('rounds to nearest, ties to even, overflow to ∞ and underflow to a signed zero', () => {
    expect(float16Bits(1 + 2 ** -11)).toBe(0x3c00); // halfway between 1 and the next: to even (1)
    expect(float16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // halfway, to even (upwards)
    expect(float16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01);
    expect(float16Bits(65520)).toBe(0x7c00); // halfway between 65504 and 65536: rounds to ∞
    expect(float16Bits(65519)).toBe(0x7bff);
    expect(float16Bits(2 ** -25)).toBe(0x0000); // half the smallest subnormal: to even (zero)
    expect(float16Bits(3 * 2 ** -25)).toBe(0x0002);
    expect(float16Bits(-(2 ** -30))).toBe(0x8000);
    expect(float16Bits(-Infinity)).toBe(0xfc00);
  });

  it('encodes a float32 array (its bit patterns read directly) exactly as value by value', () => {
    const random = xorshift(31);
    const bits = Uint32Array.from({ length: 200_000 }, () => Math.floor(random() * 2 ** 32));
    bits.set([0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00001, 0x33000000, 0x33000001, 0x477fefff, 0x477ff000, 0x387fc000], 0);
    const values = new Float32Array(bits.buffer);
    const expected = Uint16Array.from(values, (v) => float16Bits(v));
    expect(Array.from(encodeFloat16(values))).toEqual(Array.from(expected));
    expect(Array.from(encodeFloat16(values.subarray(7, 1007)))).toEqual(Array.from(expected.subarray(7, 1007)));
  });

  it('keeps unit rows within the store tolerance: |norm − 1| ≤ 1e-3 at d = 64 and 512', () => {
    for (const dim of [64, 512]) {
      const { plain } = stores(500, dim, dim);
      const decoded = decodeFloat16(encodeFloat16(plain.data));
      for (let r = 0; r < 500; r++) {
        let sum = 0;
        for (let j = 0; j < dim; j++) sum += decoded[r * dim + j]! ** 2;
        expect(Math.abs(Math.sqrt(sum) - 1)).toBeLessThan(1e-3);
      }
    }
  });
});
