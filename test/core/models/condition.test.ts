import { describe, expect, it } from 'vitest';
import { conditionDim, conditionVector } from '../../../core/models/index.ts';

const t = Float64Array.from([0.6, 0.8, 0]);
const r = Float64Array.from([0.1, -0.2, 0.3]);

describe('the decoder condition, one builder for every layout', () => {
  it("'mixed' is DP-RDM's λ·r̃ + (1−λ)·t", () => {
    const c = conditionVector({ condDim: 3, condition: { layout: 'mixed' } }, r, t, 0.25);
    expect(Array.from(c)).toEqual([0.25 * 0.1 + 0.75 * 0.6, 0.25 * -0.2 + 0.75 * 0.8, 0.25 * 0.3].map(Math.fround));
  });

  it("'text+retrieval' puts the prompt in a slot of its own, then the mixed vector", () => {
    const c = conditionVector({ condDim: 6, condition: { layout: 'text+retrieval' } }, r, t, 1);
    expect(Array.from(c)).toEqual([0.6, 0.8, 0, 0.1, -0.2, 0.3].map(Math.fround));
    expect(conditionDim('text+retrieval', 64)).toBe(128);
  });

  it('refuses a condDim that does not fit the layout, and a non-finite condition', () => {
    expect(() => conditionVector({ condDim: 3, condition: { layout: 'text+retrieval' } }, r, t, 1)).toThrow(/does not fit layout/);
    expect(() => conditionVector({ condDim: 3, condition: { layout: 'mixed' } }, Float64Array.from([Number.NaN, 0, 0]), t, 1)).toThrow(/not finite/);
  });
});
