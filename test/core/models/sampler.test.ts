// The DDIM sampler's contract beyond the golden sample: timesteps as in Python, one batched CFG call,
// seeded determinism, batching invariance, previews and cancellation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EpsFunction, ModelAbortError, ModelRuntime, ddimSample, ddimTimesteps, seededNormal } from '../../../core/models/index.ts';
import { MODEL_SET_DIR, goldenF32, maxAbsDiff } from './golden-fixtures.ts';

let rt: ModelRuntime;
let cond: Float32Array; // one condition row (a text embedding from the fixtures)

beforeAll(async () => {
  rt = await ModelRuntime.load(MODEL_SET_DIR, { provider: 'cpu', intraOpThreads: 1 });
  cond = goldenF32('ddim_cond.f32').slice(0, rt.manifest.decoder.condDim);
});
afterAll(async () => {
  await rt?.release();
});

describe('ddimTimesteps', () => {
  it('is trailing spacing with Python rounding (half to even)', () => {
    expect(ddimTimesteps(10, 1000)).toEqual([999, 899, 799, 699, 599, 499, 399, 299, 199, 99]);
    expect(ddimTimesteps(1, 1000)).toEqual([999]);
    // 1000 − 3·62.5 = 812.5 rounds to 812 in Python (half to even), not 813
    expect(ddimTimesteps(16, 1000).slice(0, 4)).toEqual([999, 937, 874, 811]);
    expect(ddimTimesteps(1000, 1000)[999]).toBe(0);
    expect(() => ddimTimesteps(0, 1000)).toThrow(RangeError);
    expect(() => ddimTimesteps(1001, 1000)).toThrow(RangeError);
  });
});

describe('ddimSample with a fake UNet', () => {
  const V = 12;
  const D = 2;
  const alphas = Array.from({ length: 100 }, (_, t) => 1 - (t + 1) / 101);

  it('makes one call of 2B rows per step: [x; x], the same t, [cond; 0]', async () => {
    const calls: { rows: number; t: number[] }[] = [];
    const eps: EpsFunction = async (x, t, c, rows) => {
      calls.push({ rows, t: Array.from(t) });
      expect(maxAbsDiff(x.subarray(0, 3 * V), x.subarray(3 * V))).toBe(0);
      expect(Array.from(c.subarray(0, 3 * D))).toEqual([1, 2, 3, 4, 5, 6]);
      expect(Array.from(c.subarray(3 * D))).toEqual(new Array(3 * D).fill(0));
      return new Float32Array(rows * V).fill(0.1);
    };
    const out = await ddimSample(eps, { cond: Float32Array.of(1, 2, 3, 4, 5, 6), condDim: D, count: 3, imageValues: V, steps: 4, guidance: 2.5, alphasCumprod: alphas, seeds: [1, 2, 3] });
    expect(out.length).toBe(3 * V);
    expect(calls.map((c) => c.rows)).toEqual([6, 6, 6, 6]);
    expect(calls.map((c) => c.t[0])).toEqual(ddimTimesteps(4, 100));
    calls.forEach((c) => expect(new Set(c.t).size).toBe(1));
  });

  it('with a retrieval guidance makes 3B rows [c; [t;0]; 0] and combines e_u + g(e_t − e_u) + g_r(e_c − e_t)', async () => {
    const D4 = 4; // [t (2) ; c (2)]
    const seen: Float32Array[] = [];
    // eps = the sum of the condition's two slots weighted differently, so each part is told apart.
    const eps: EpsFunction = async (_x, _t, c, rows) => {
      seen.push(c.slice());
      const out = new Float32Array(rows * V);
      for (let r = 0; r < rows; r++) out.fill(0.01 * (c[r * D4]! + c[r * D4 + 1]!) + 0.1 * (c[r * D4 + 2]! + c[r * D4 + 3]!), r * V, (r + 1) * V);
      return out;
    };
    const cond = Float32Array.of(1, 2, 3, 4);
    const base = { cond, condDim: D4, count: 1, imageValues: V, steps: 3, alphasCumprod: alphas, seeds: [7] };
    const three = await ddimSample(eps, { ...base, guidance: 2, retrievalGuidance: { scale: 5, textValues: 2 } });
    expect(Array.from(seen[0]!)).toEqual([1, 2, 3, 4, 1, 2, 0, 0, 0, 0, 0, 0]);
    // e_u = 0, e_t = 0.03, e_c = 0.73: e = 2·0.03 + 5·0.70 = 3.56, what a plain sampler gets from a constant eps of 3.56.
    const constant = await ddimSample(async (_x, _t, _c, rows) => new Float32Array(rows * V).fill(3.56), { ...base, guidance: 1 });
    expect(maxAbsDiff(three, constant)).toBeLessThan(1e-5);
    // g_r = g is plain guidance.
    const same = await ddimSample(eps, { ...base, guidance: 2, retrievalGuidance: { scale: 2, textValues: 2 } });
    const plain = await ddimSample(eps, { ...base, guidance: 2 });
    expect(maxAbsDiff(same, plain)).toBeLessThan(1e-6);
    await expect(ddimSample(eps, { ...base, guidance: 2, retrievalGuidance: { scale: 2, textValues: 4 } })).rejects.toThrow(RangeError);
  });

  it('skips the unconditional half when guidance is 1', async () => {
    const rows: number[] = [];
    await ddimSample(async (_x, _t, _c, r) => (rows.push(r), new Float32Array(r * V)), {
      cond: Float32Array.of(1, 2),
      condDim: D,
      count: 1,
      imageValues: V,
      steps: 3,
      guidance: 1,
      alphasCumprod: alphas,
      seeds: ['s'],
    });
    expect(rows).toEqual([1, 1, 1]);
  });

  it('draws x_T from the seed only (never Math.random): same seed, same noise', async () => {
    expect(Array.from(seededNormal(7, 16))).toEqual(Array.from(seededNormal(7, 16)));
    expect(Array.from(seededNormal(7, 16))).not.toEqual(Array.from(seededNormal(8, 16)));
    const n = seededNormal('stats', 20000);
    const mean = n.reduce((a, b) => a + b, 0) / n.length;
    const variance = n.reduce((a, b) => a + (b - mean) ** 2, 0) / n.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
    const zero: EpsFunction = async (_x, _t, _c, r) => new Float32Array(r * V);
    // with eps ≡ 0, x_0 = x_T / sqrt(ᾱ_T): the seed's noise, scaled
    const out = await ddimSample(zero, { cond: Float32Array.of(0, 0), condDim: D, count: 1, imageValues: V, steps: 1, guidance: 3, alphasCumprod: alphas, seeds: [42] });
    const expected = seededNormal(42, V).map((v) => v / Math.sqrt(alphas[99]!));
    expect(maxAbsDiff(out, expected)).toBeLessThan(1e-5);
  });

  it('clips x0 to the output range and re-derives eps from it (manifest sampler.clipX0)', async () => {
    const big: EpsFunction = async (_x, _t, _c, r) => new Float32Array(r * V).fill(-40);
    const base = { cond: Float32Array.of(0, 0), condDim: D, count: 1, imageValues: V, guidance: 1, alphasCumprod: alphas, seeds: [3] };
    const unclipped = await ddimSample(big, { ...base, steps: 5 });
    expect(Math.max(...unclipped.map(Math.abs))).toBeGreaterThan(1);
    const clipped = await ddimSample(big, { ...base, steps: 5, clipX0: [-1, 1] });
    expect(Math.max(...clipped.map(Math.abs))).toBeLessThanOrEqual(1);
    // one step from t = 99 to ᾱ = 1 returns the clipped x0 itself
    const one = await ddimSample(big, { ...base, steps: 1, clipX0: [-0.5, 0.25] });
    const xT = seededNormal(3, V);
    const a = alphas[99]!;
    const expected = xT.map((v) => Math.min(0.25, Math.max(-0.5, (v + 40 * Math.sqrt(1 - a)) / Math.sqrt(a))));
    expect(maxAbsDiff(one, expected)).toBeLessThan(1e-6);
    await expect(ddimSample(big, { ...base, steps: 1, clipX0: [1, -1] })).rejects.toThrow(RangeError);
  });

  it('rejects bad arguments', async () => {
    const eps: EpsFunction = async (_x, _t, _c, r) => new Float32Array(r * V);
    const base = { cond: Float32Array.of(0, 0), condDim: D, count: 1, imageValues: V, steps: 2, guidance: 3, alphasCumprod: alphas };
    await expect(ddimSample(eps, base)).rejects.toThrow(/seed/);
    await expect(ddimSample(eps, { ...base, seeds: [1], guidance: Number.NaN })).rejects.toThrow(RangeError);
    await expect(ddimSample(eps, { ...base, initialNoise: new Float32Array(3) })).rejects.toThrow(RangeError);
    await expect(ddimSample(eps, { ...base, cond: new Float32Array(3), seeds: [1] })).rejects.toThrow(RangeError);
  });
});

describe('generation with the real decoder', () => {
  it('is deterministic per seed and independent of batching', async () => {
    const steps = 3;
    const a = await rt.generate({ cond, count: 3, seeds: [11, 'twelve', 13], steps, batchSize: 3 });
    const b = await rt.generate({ cond, count: 3, seeds: [11, 'twelve', 13], steps, batchSize: 2 });
    const alone = await rt.generate({ cond, count: 1, seeds: ['twelve'], steps });
    const V = 3 * a.imageSize * a.imageSize;
    expect(a.seeds).toEqual([11, 'twelve', 13]);
    expect(maxAbsDiff(a.images, b.images)).toBeLessThanOrEqual(1e-4);
    expect(maxAbsDiff(a.images.subarray(V, 2 * V), alone.images)).toBeLessThanOrEqual(1e-4);
    expect(maxAbsDiff(a.images.subarray(0, V), a.images.subarray(V, 2 * V))).toBeGreaterThan(0.1);
    const fresh = await rt.generate({ cond, count: 2, steps: 1 });
    expect(fresh.seeds).toHaveLength(2);
    expect(fresh.seeds![0]).not.toBe(fresh.seeds![1]);
  });

  it('reports every step with x0 previews, and stops mid-sampling when aborted', async () => {
    const seen: { step: number; preview: boolean }[] = [];
    const done = await rt.generate({ cond, count: 1, seeds: [5], steps: 4, previewEvery: 2 }, (p) => seen.push({ step: p.step, preview: p.preview !== undefined }));
    expect(seen).toEqual([
      { step: 1, preview: false },
      { step: 2, preview: true },
      { step: 3, preview: false },
      { step: 4, preview: true },
    ]);
    expect(done.images.length).toBe(3 * 32 * 32);

    const controller = new AbortController();
    const steps: number[] = [];
    const run = rt.generate({ cond, count: 2, seeds: [1, 2], steps: 25, batchSize: 1 }, (p) => {
      steps.push(p.step);
      if (p.step === 3) controller.abort();
    }, controller.signal);
    await expect(run).rejects.toBeInstanceOf(ModelAbortError);
    expect(steps).toEqual([1, 2, 3]);
  });
});
