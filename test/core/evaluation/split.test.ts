import { describe, expect, it } from 'vitest';
import { evaluationSplit, selectRows } from '../../../core/evaluation/split.ts';

describe('evaluation split', () => {
  it('is deterministic for a seed, disjoint and covers every row', () => {
    const a = evaluationSplit(2000, 0.2, 1);
    const b = evaluationSplit(2000, 0.2, 1);
    expect(a).toEqual(b);
    expect(a.heldOut.length).toBe(400);
    expect(a.retrieval.length).toBe(1600);
    const held = new Set(a.heldOut);
    expect(a.retrieval.some((r) => held.has(r))).toBe(false);
    expect(new Set([...a.heldOut, ...a.retrieval]).size).toBe(2000);
    expect([...a.heldOut].sort((x, y) => x - y)).toEqual(a.heldOut);
  });

  it('changes with the seed and is not a block of consecutive rows', () => {
    const a = evaluationSplit(1000, 0.1, 1);
    const c = evaluationSplit(1000, 0.1, 2);
    expect(a.heldOut).not.toEqual(c.heldOut);
    expect(a.heldOut[a.heldOut.length - 1]! - a.heldOut[0]!).toBeGreaterThan(500);
  });

  it('keeps minimum sizes and refuses tiny datasets or bad fractions', () => {
    expect(evaluationSplit(30, 0.01, 0).heldOut.length).toBe(8);
    expect(evaluationSplit(30, 0.9 as number, 0).retrieval.length).toBe(16);
    expect(() => evaluationSplit(10, 0.2, 0)).toThrow(/at least 24/);
    expect(() => evaluationSplit(100, 0, 0)).toThrow(/fraction/);
  });

  it('selects rows into a contiguous copy', () => {
    const data = Float32Array.from([0, 1, 10, 11, 20, 21]);
    expect(Array.from(selectRows(data, 2, [2, 0]))).toEqual([20, 21, 0, 1]);
  });
});
