import { describe, expect, it } from 'vitest';
import { samplingBatches } from '../../../core/studio/generator.ts';

describe('samplingBatches', () => {
  it('samples the first image alone, then batches of four, covering every image once', () => {
    expect(samplingBatches(1)).toEqual([1]);
    expect(samplingBatches(4)).toEqual([1, 3]);
    expect(samplingBatches(5)).toEqual([1, 4]);
    expect(samplingBatches(16)).toEqual([1, 4, 4, 4, 3]);
    for (let n = 1; n <= 16; n++) expect(samplingBatches(n).reduce((a, b) => a + b, 0)).toBe(n);
    expect(samplingBatches(0)).toEqual([]);
  });
});
