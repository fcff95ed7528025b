import { describe, expect, it } from 'vitest';
import { samplingBatches } from '../../../core/generation/generator.ts';

describe('samplingBatches', () => {
  it('samples the first image alone, then batches of four, covering every image once', () => {
    const counts = (n: number) => samplingBatches(n).map((b) => b.count);
    expect(counts(1)).toEqual([1]);
    expect(counts(4)).toEqual([1, 3]);
    expect(counts(5)).toEqual([1, 4]);
    expect(samplingBatches(16)).toEqual([
      { start: 0, count: 1 },
      { start: 1, count: 4 },
      { start: 5, count: 4 },
      { start: 9, count: 4 },
      { start: 13, count: 3 },
    ]);
    for (let n = 1; n <= 16; n++) {
      const covered = samplingBatches(n).flatMap(({ start, count }) => Array.from({ length: count }, (_, i) => start + i));
      expect(covered).toEqual(Array.from({ length: n }, (_, i) => i));
    }
    expect(samplingBatches(0)).toEqual([]);
  });
});
