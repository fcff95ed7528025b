// DPM-Solver++(2M) against a case whose answer is known: for Gaussian data x0 ~ N(μ, s²) the best noise prediction
// is analytic, and the probability-flow ODE maps x_T to x0 = μ + s·(x_T − α_T·μ)/√(α_T²s² + σ_T²). The second-order
// solver must get much closer in 10–15 steps than DDIM does, and both must use the same UNet calls and guidance.
import { describe, expect, it } from 'vitest';
import { ddimSample, type EpsFunction } from '../../../core/models/index.ts';

const T = 1000;
/** The improved-DDPM cosine schedule the decoders are trained with. */
const alphasCumprod = (() => {
  const f = (t: number) => Math.cos(((t / T + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
  const out: number[] = [];
  let prod = 1;
  for (let t = 0; t < T; t++) {
    prod *= Math.max(1 - 0.999, Math.min(1, f(t + 1) / f(t)));
    out.push(prod);
  }
  return out;
})();

const MU = 0.3;
const S = 0.2;
const V = 16;

/** E[ε | x_t] for x0 ~ N(μ, s²): σ·(x − αμ)/(α²s² + σ²), elementwise (the condition is ignored). */
const gaussianEps: EpsFunction = async (x, t, _cond, rows) => {
  const out = new Float32Array(rows * V);
  for (let r = 0; r < rows; r++) {
    const a = alphasCumprod[t[r]!]!;
    const alpha = Math.sqrt(a);
    const sigma = Math.sqrt(1 - a);
    for (let j = 0; j < V; j++) out[r * V + j] = (sigma * (x[r * V + j]! - alpha * MU)) / (alpha * alpha * S * S + sigma * sigma);
  }
  return out;
};

/** The ODE's state at ᾱ_end (1: the data; DPM-Solver++ ends on ᾱ_0) from x_T: the standardised value is kept. */
function exact(xT: Float32Array, alphaEnd = 1): Float64Array {
  const a = alphasCumprod[T - 1]!;
  const spread = Math.sqrt(alphaEnd * S * S + (1 - alphaEnd));
  return Float64Array.from(xT, (v) => Math.sqrt(alphaEnd) * MU + (spread * (v - Math.sqrt(a) * MU)) / Math.sqrt(a * S * S + (1 - a)));
}

const noise = Float32Array.from({ length: 2 * V }, (_, i) => Math.sin(i * 1.7) * 1.3);
const maxError = (got: Float32Array, want: Float64Array) => got.reduce((m, v, i) => Math.max(m, Math.abs(v - want[i]!)), 0);
const run = (sampler: 'ddim' | 'dpmpp-2m', steps: number) =>
  ddimSample(gaussianEps, { cond: new Float32Array(2), condDim: 1, count: 2, imageValues: V, steps, guidance: 1, alphasCumprod, initialNoise: noise, sampler });

describe('DPM-Solver++(2M)', () => {
  it('solves the Gaussian case far better than DDIM in few steps, and converges', async () => {
    const errors: Record<string, number> = {};
    for (const steps of [10, 15, 25]) {
      errors[`ddim${steps}`] = maxError(await run('ddim', steps), exact(noise));
      errors[`dpm${steps}`] = maxError(await run('dpmpp-2m', steps), exact(noise, alphasCumprod[0]));
    }
    expect(errors.dpm10!).toBeLessThan(errors.ddim10! / 3);
    expect(errors.dpm15!).toBeLessThan(errors.ddim25!);
    expect(errors.dpm25!).toBeLessThan(errors.dpm10!);
    expect(errors.dpm15!).toBeLessThan(0.01);
  });

  it('one step is the data prediction carried to ᾱ_0 (DDIM: to ᾱ = 1)', async () => {
    const a0 = alphasCumprod[0]!;
    const aT = alphasCumprod[T - 1]!;
    const x0 = await run('ddim', 1);
    const want = Float64Array.from(noise, (v, i) => Math.sqrt((1 - a0) / (1 - aT)) * v + Math.sqrt(a0) * (1 - Math.exp(-(0.5 * Math.log(a0 / (1 - a0)) - 0.5 * Math.log(aT / (1 - aT))))) * x0[i]!);
    expect(maxError(await run('dpmpp-2m', 1), want)).toBeLessThan(1e-6);
  });

  it('spaces its timesteps uniformly in log-SNR, distinct and descending from the last', async () => {
    const { dpmTimesteps } = await import('../../../core/models/ddim.ts');
    for (const steps of [1, 5, 10, 15, 25, 50, 100]) {
      const ts = dpmTimesteps(steps, alphasCumprod);
      expect(ts).toHaveLength(steps);
      expect(ts[0]).toBe(T - 1);
      for (let i = 1; i < ts.length; i++) expect(ts[i]).toBeLessThan(ts[i - 1]!);
    }
    expect(dpmTimesteps(10, alphasCumprod).at(-1)).toBeLessThan(30); // the last model call close to the data, unlike trailing DDIM's 99
    expect(() => dpmTimesteps(101, alphasCumprod)).toThrow(RangeError);
  });

  it('makes one guided UNet call per step, as DDIM (rows and conditions; its own timesteps)', async () => {
    const calls: Record<string, string[]> = { ddim: [], 'dpmpp-2m': [] };
    for (const sampler of ['ddim', 'dpmpp-2m'] as const) {
      const eps: EpsFunction = async (x, t, c, rows) => {
        expect(new Set(t).size).toBe(1);
        calls[sampler]!.push(`${rows}:${Array.from(c).join(',')}`);
        return gaussianEps(x, t, c, rows);
      };
      await ddimSample(eps, { cond: Float32Array.from([1, 2]), condDim: 1, count: 2, imageValues: V, steps: 5, guidance: 3, alphasCumprod, initialNoise: noise, sampler });
    }
    expect(calls['dpmpp-2m']).toEqual(calls.ddim);
  });
});
