// Helper threads for the SIMD kernel: a long row list is cut into parts scored on several threads in one shared
// memory, and every score is bit-for-bit the one a single thread computes (so the exact top-k cannot change).
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { exactTopK } from '../../../core/privacy/exact-top-k.ts';
import { allocateArena, PARALLEL_MIN_ROWS, partsOf, ROWS_PER_PASS } from '../../../core/privacy/simd-scores.ts';
import { ScoringPool, scoringPool } from '../../../core/privacy/scoring-pool.ts';
import { allocateResidentStore, encodeFloat16 } from '../../../core/privacy/index.ts';
import { unitQuery, unitRows, xorshift } from './seeded-rows.ts';

/** Scores of `rows` one short call at a time: every call stays under PARALLEL_MIN_ROWS, so one thread scores it. */
function oneThread(arena: NonNullable<ReturnType<typeof allocateArena>>, query: Float64Array, rows: Uint32Array): Float32Array {
  const out = new Float32Array(rows.length);
  const chunk = PARALLEL_MIN_ROWS - 1;
  for (let r = 0; r < rows.length; r += chunk) out.set(arena.score(query, rows.subarray(r, r + chunk)), r);
  return out;
}

describe('cutting a row list into parts', () => {
  it('keeps empty and short lists whole and cuts long ones into whole kernel groups that cover every row once', () => {
    expect(partsOf(0, 4)).toEqual([[0, 0]]);
    expect(partsOf(PARALLEL_MIN_ROWS - 1, 4)).toEqual([[0, PARALLEL_MIN_ROWS - 1]]);
    expect(partsOf(100_000, 1)).toEqual([[0, 100_000]]);
    for (const [n, threads] of [[PARALLEL_MIN_ROWS, 2], [10_001, 2], [10_003, 3], [99_999, 4], [PARALLEL_MIN_ROWS + 1, 4]] as const) {
      const parts = partsOf(n, threads);
      expect(parts.length).toBeGreaterThan(1);
      expect(parts.length).toBeLessThanOrEqual(threads);
      let next = 0;
      for (const [i, [from, count]] of parts.entries()) {
        expect(from).toBe(next);
        expect(count).toBeGreaterThanOrEqual(PARALLEL_MIN_ROWS / 2 - ROWS_PER_PASS);
        if (i < parts.length - 1) expect(count % ROWS_PER_PASS).toBe(0);
        next = from + count;
      }
      expect(next).toBe(n);
    }
  });
});

describe('scoring on several threads', () => {
  it('has a helper for every further core of this machine, up to four threads in all', () => {
    expect(scoringPool().size).toBe(Math.min(4, availableParallelism()) - 1);
  });

  it('gives bit-for-bit the single-thread scores, float32 and float16, on random rows and repeated rows', () => {
    const n = 6000;
    const dim = 64;
    const values = unitRows(n, dim, 77);
    const random = xorshift(5);
    const rows = Uint32Array.from({ length: n }, () => Math.floor(random() * n)); // repeats, out of order
    for (const precision of ['float32', 'float16'] as const) {
      const arena = allocateArena(precision, n, dim)!;
      if (precision === 'float32') (arena.values as Float32Array).set(values);
      else encodeFloat16(values, arena.values as Uint16Array);
      for (let trial = 0; trial < 3; trial++) {
        const query = unitQuery(dim, 900 + trial);
        for (const length of [PARALLEL_MIN_ROWS, PARALLEL_MIN_ROWS + 3, n - 1, n]) {
          const list = rows.subarray(0, length);
          const together = Float32Array.from(arena.score(query, list));
          expect(Array.from(together)).toEqual(Array.from(oneThread(arena, query, list)));
        }
      }
    }
  });

  it('keeps the exact top-k with crafted ties across the parts (ties by the lower row)', () => {
    const n = 8192;
    const dim = 16;
    const store = allocateResidentStore(n, dim, 'float32');
    const values = store.values as Float32Array;
    // every row scores 0 except a tie of 1 at rows spread over every part, and a NaN row
    for (const row of [8000, 5000, 4100, 4096, 17, 3]) values[row * dim] = 1;
    values[6000 * dim] = Number.NaN;
    const query = new Float64Array(dim);
    query[0] = 1;
    const all = Uint32Array.from({ length: n }, (_, i) => i);
    expect(exactTopK(store, query, all, 4)).toEqual([3, 17, 4096, 4100]);
    expect(exactTopK(store, query, all, 8)).toEqual([3, 17, 4096, 4100, 5000, 8000, 0, 1]);
    expect(exactTopK(store, query, all, n).at(-1)).toBe(6000); // non-finite below every finite score
  });

  it('refuses a row outside the store before any thread reads, and keeps scoring afterwards', () => {
    const arena = allocateArena('float32', 4096, 16)!;
    const rows = Uint32Array.from({ length: 4096 }, (_, i) => i);
    rows[4000] = 4096;
    expect(() => arena.score(new Float64Array(16), rows)).toThrow(RangeError);
    rows[4000] = 4000;
    expect(arena.score(new Float64Array(16).fill(1), rows).length).toBe(4096);
  });

  it('runs parts on a pool of its own helpers and reports a helper that fails', () => {
    const pool = new ScoringPool(1);
    const noKernel = () => undefined;
    // an unknown slot: the helper has no kernel for it, throws, and the caller hears of it
    expect(() => pool.run(999, noKernel, [[0, 16, 0, 0, 0, 0], [0, 16, 0, 4, 0, 0]])).toThrow(/helper failed/);
    expect(() => pool.run(999, noKernel, [[0, 16, 0, 0, 0, 0], [0, 16, 0, 0, 0, 0], [0, 16, 0, 0, 0, 0]])).toThrow(RangeError);
    expect(pool.size).toBe(1);
  });

  it('takes no more parts once a helper has ended (queries then score on the calling thread)', async () => {
    const pool = new ScoringPool(1);
    const { worker } = (pool as unknown as { helpers: { worker: Worker }[] }).helpers[0]!;
    const ended = new Promise((resolve) => worker.once('exit', resolve));
    await worker.terminate();
    await ended;
    expect(pool.size).toBe(0);
  });
});
