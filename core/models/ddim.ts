/**
 * Deterministic DDIM (η = 0) with classifier-free guidance, exactly as the trainer's Python reference
 * (native-models/<set>/train/diffusion.py and golden.py):
 *   timesteps  t_i = round_half_even(T − i·T/steps) − 1, i = 0..steps−1 ("trailing"); ᾱ(−1) = 1
 *   per step   one UNet call on 2B rows: x_in = [x; x], t_in = t, cond_in = [c; 0]
 *              e  = e_u + g·(e_c − e_u)
 *              or, with a retrieval guidance g_r (two-slot conditions [t ; c]), 3B rows [c; [t;0]; 0]:
 *              e  = e_u + g·(e_t − e_u) + g_r·(e_c − e_t)   (the retrieval slot guided on its own)
 *              x0 = (x − √(1−ᾱ_t)·e) / √ᾱ_t
 *              with clipX0: x0 = clip(x0, lo, hi) and e = (x − √ᾱ_t·x0) / √(1−ᾱ_t)   (keeps x on the data
 *              manifold when the cosine schedule's ᾱ_T ≈ 2e-9 makes the unclipped x0 explode)
 *              x  = √ᾱ_prev·x0 + √(1−ᾱ_prev)·e
 * x is kept in float64 between steps (as in Python) and fed to the UNet as float32. The result is the final x
 * (in the decoder's output range when clipping, else unclipped: clip for display).
 * DPM-Solver++(2M) (dpmSolverStep) runs on the same timesteps, UNet calls, guidance and clipped x0, and replaces only
 * the update: a second-order multistep solver of the same ODE, so fewer steps reach the same images.
 */
import { ModelAbortError } from './errors.ts';
import { type Seed, seededNormal } from './noise.ts';

/** The UNet: eps for `rows` rows of x [rows,C,H,W], t [rows], cond [rows,D]. */
export type EpsFunction = (x: Float32Array, t: Float32Array, cond: Float32Array, rows: number) => Promise<Float32Array>;

export interface DdimProgress {
  /** 1-based index of the step just finished. */
  step: number;
  steps: number;
  /** The model timestep of that step. */
  timestep: number;
  /** The current prediction of the final images x0 [B,C,H,W] (only when previews were asked for). */
  preview?: Float32Array;
}

export interface DdimOptions {
  /** Conditions, row-major [count, condDim]. */
  cond: Float32Array;
  condDim: number;
  /** Number of images (rows of cond). */
  count: number;
  /** Values per image (C·H·W). */
  imageValues: number;
  steps: number;
  /** Classifier-free guidance scale g (1 = conditional only, no second half). */
  guidance: number;
  /** ᾱ_t for t = 0..T−1. */
  alphasCumprod: ArrayLike<number>;
  /** One seed per image for x_T, or … */
  seeds?: readonly Seed[];
  /** … an explicit x_T [count, C,H,W] (golden tests). */
  initialNoise?: Float32Array;
  signal?: AbortSignal;
  onProgress?: (progress: DdimProgress) => void;
  /** Clip x0 to this range at every step and re-derive eps from it (the manifest's sampler.clipX0). */
  clipX0?: readonly [number, number];
  /** Separate guidance of the retrieval slot: the first `textValues` values of each condition are the text slot. */
  retrievalGuidance?: { readonly scale: number; readonly textValues: number };
  /** Attach an x0 preview to the progress of every n-th step (and the last); 0/undefined: none. */
  previewEvery?: number;
  /** 'ddim' (default) or 'dpmpp-2m': DPM-Solver++(2M) on the same timesteps, guidance and clipped x0 (dpmSolverStep). */
  sampler?: SamplerKind;
}

export type SamplerKind = 'ddim' | 'dpmpp-2m';

/** Python's round(): half to even. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The DDIM timesteps for `steps` steps of a `trainSteps`-step schedule, descending from trainSteps − 1. */
export function ddimTimesteps(steps: number, trainSteps: number): number[] {
  if (!Number.isInteger(steps) || steps < 1 || steps > trainSteps) throw new RangeError(`steps must be an integer in [1, ${trainSteps}], got ${steps}`);
  return Array.from({ length: steps }, (_, i) => roundHalfEven(trainSteps - (i * trainSteps) / steps) - 1);
}

/**
 * Where DPM-Solver++'s log-SNR grid starts after its first call at the last timestep. The cosine schedule's clamped
 * ᾱ(T−1) ≈ 2e-9 puts λ(T−1) near −10, and below λ = −3 (ᾱ < 0.0025) the model sees noise alone: a grid from −10
 * would spend a third of its calls there. (On Gaussian data, whose solution is known, the floor at −3 gave the
 * smallest error at 5, 15 and 25 steps of −10, −6, −5, −4 and −3: test/core/models/dpm-solver.test.ts.)
 */
const DPM_LAMBDA_FLOOR = -3;
export const DPM_MAX_STEPS = 100;

/**
 * DPM-Solver++'s timesteps: the last timestep, then uniform in λ = log(α/σ) from DPM_LAMBDA_FLOOR to the first
 * timestep (the spacing the solver's authors recommend for pixel-space models), each the schedule's timestep
 * nearest to its λ; `steps` model calls, descending, distinct. The solver then ends on timestep 0.
 */
export function dpmTimesteps(steps: number, alphasCumprod: ArrayLike<number>): number[] {
  const T = alphasCumprod.length;
  if (!Number.isInteger(steps) || steps < 1 || steps > Math.min(T, DPM_MAX_STEPS)) throw new RangeError(`DPM-Solver++ steps must be an integer in [1, ${Math.min(T, DPM_MAX_STEPS)}], got ${steps}`);
  const lambda = (t: number) => halfLogSnr(alphasCumprod[t]!);
  const lo = Math.max(lambda(T - 1), DPM_LAMBDA_FLOOR);
  const hi = lambda(0);
  const ts = [T - 1];
  let t = T - 1;
  for (let i = 1; i < steps; i++) {
    const target = lo + ((i - 1) * (hi - lo)) / (steps - 1);
    while (t > 0 && Math.abs(lambda(t - 1) - target) <= Math.abs(lambda(t) - target)) t--;
    ts.push(t);
  }
  // Near the data few timesteps span a wide λ range: where two land on one, move the higher one up a timestep.
  for (let i = steps - 2; i >= 1; i--) if (ts[i]! <= ts[i + 1]!) ts[i] = ts[i + 1]! + 1;
  return ts;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ModelAbortError();
}

export interface DdimStepSpec {
  alphaT: number;
  alphaPrev: number;
  guidance: number;
  /** Whether `e` holds [conditional; unconditional] halves (guidance ≠ 1). */
  guided: boolean;
  /** When set, `e` holds thirds [c; text only; unconditional] and this is g_r. */
  retrievalGuidance?: number;
  count: number;
  imageValues: number;
  clipX0?: readonly [number, number];
}

/**
 * One DDIM step in place: x [count·V] (float64) from the UNet's output e for [x; x] (guided) or x. Writes the x0
 * prediction into `preview` when given. Exported for the golden tests, which run it from the reference states.
 */
export function ddimStep(x: Float64Array, e: ArrayLike<number>, s: DdimStepSpec, preview?: Float32Array): void {
  const n = s.count * s.imageValues;
  const sA = Math.sqrt(s.alphaT);
  const s1A = Math.sqrt(1 - s.alphaT);
  const sP = Math.sqrt(s.alphaPrev);
  const s1P = Math.sqrt(1 - s.alphaPrev);
  const off = s.guided ? n : 0;
  const g = s.guidance;
  const gr = s.retrievalGuidance;
  const clip = s.clipX0;
  for (let j = 0; j < n; j++) {
    const ec = e[j]!;
    const ej =
      gr !== undefined ? e[2 * n + j]! + g * (e[n + j]! - e[2 * n + j]!) + gr * (ec - e[n + j]!) : s.guided ? e[off + j]! + g * (ec - e[off + j]!) : ec;
    let x0 = (x[j]! - s1A * ej) / sA;
    let ej2 = ej;
    if (clip) {
      x0 = x0 < clip[0] ? clip[0] : x0 > clip[1] ? clip[1] : x0;
      ej2 = (x[j]! - sA * x0) / s1A;
    }
    if (preview) preview[j] = x0;
    x[j] = sP * x0 + s1P * ej2;
  }
}

/** The guided noise prediction of element j (as in ddimStep). */
function guidedEps(e: ArrayLike<number>, j: number, n: number, s: DdimStepSpec): number {
  const ec = e[j]!;
  const gr = s.retrievalGuidance;
  if (gr !== undefined) return e[2 * n + j]! + s.guidance * (e[n + j]! - e[2 * n + j]!) + gr * (ec - e[n + j]!);
  return s.guided ? e[n + j]! + s.guidance * (ec - e[n + j]!) : ec;
}

/** λ = log(α/σ) of a cumulative ᾱ: half the log signal-to-noise ratio (+∞ at ᾱ = 1). */
const halfLogSnr = (alpha: number) => 0.5 * Math.log(alpha / (1 - alpha));

/**
 * One step of DPM-Solver++(2M) in place (Lu, Zhou, Bao, Chen, Li & Zhu 2022, "DPM-Solver++: Fast Solver for Guided
 * Sampling of Diffusion Probabilistic Models", Algorithm 2, the multistep second-order solver in data prediction):
 * with x0 the guided (and clipped) data prediction at ᾱ_t and h = λ_prev − λ_t,
 *   first step:  x ← (σ_prev/σ_t)·x − α_prev·(e^{−h} − 1)·x0
 *   then:        D = (1 + 1/(2r))·x0 − (1/(2r))·x0_before,  r = h_before/h,  and D in place of x0;
 *   a step to ᾱ_prev = 1 (only when the last timestep is 0): x ← x0. The sampler's last step ends on ᾱ_0 instead.
 * `memory` carries x0 and h from the step before (empty on the first step); the step updates it.
 */
export function dpmSolverStep(x: Float64Array, e: ArrayLike<number>, s: DdimStepSpec, memory: { x0?: Float64Array; h?: number }, preview?: Float32Array): void {
  const n = s.count * s.imageValues;
  const aT = Math.sqrt(s.alphaT);
  const sT = Math.sqrt(1 - s.alphaT);
  const final = !(s.alphaPrev < 1);
  const h = final ? Infinity : halfLogSnr(s.alphaPrev) - halfLogSnr(s.alphaT);
  const ratio = final ? 0 : Math.sqrt(1 - s.alphaPrev) / sT;
  const aP = Math.sqrt(s.alphaPrev);
  const phi = final ? 0 : -aP * Math.expm1(-h); // −α_prev·(e^{−h} − 1)
  const before = memory.x0;
  const r = before && memory.h !== undefined && !final ? memory.h / h : undefined;
  const clip = s.clipX0;
  const x0Now = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let x0 = (x[j]! - sT * guidedEps(e, j, n, s)) / aT;
    if (clip) x0 = x0 < clip[0] ? clip[0] : x0 > clip[1] ? clip[1] : x0;
    x0Now[j] = x0;
    if (preview) preview[j] = x0;
    if (final) {
      x[j] = x0;
      continue;
    }
    const d = r === undefined ? x0 : (1 + 1 / (2 * r)) * x0 - (1 / (2 * r)) * before![j]!;
    x[j] = ratio * x[j]! + phi * d;
  }
  memory.x0 = x0Now;
  memory.h = h;
}

/** Runs the sampler; returns the final images [count, C,H,W] as float32. */
export async function ddimSample(eps: EpsFunction, o: DdimOptions): Promise<Float32Array> {
  const { count: B, imageValues: V, condDim: D } = o;
  if (!Number.isInteger(B) || B < 1) throw new RangeError(`count must be a positive integer, got ${B}`);
  if (o.cond.length !== B * D) throw new RangeError(`cond has ${o.cond.length} values, expected ${B}×${D}`);
  if (!(Number.isFinite(o.guidance) && o.guidance >= 0)) throw new RangeError(`guidance must be a finite number ≥ 0, got ${o.guidance}`);
  const T = o.alphasCumprod.length;
  const ts = o.sampler === 'dpmpp-2m' ? dpmTimesteps(o.steps, o.alphasCumprod) : ddimTimesteps(o.steps, T);
  throwIfAborted(o.signal);

  const x = new Float64Array(B * V);
  if (o.initialNoise) {
    if (o.initialNoise.length !== B * V) throw new RangeError(`initialNoise has ${o.initialNoise.length} values, expected ${B * V}`);
    x.set(o.initialNoise);
  } else {
    if (!o.seeds || o.seeds.length !== B) throw new RangeError(`give one seed per image (${B}) or an initialNoise tensor`);
    const noise = new Float32Array(V);
    o.seeds.forEach((seed, b) => {
      seededNormal(seed, V, noise);
      x.set(noise, b * V);
    });
  }

  const rg = o.retrievalGuidance;
  if (rg && !(Number.isFinite(rg.scale) && rg.scale >= 0 && Number.isInteger(rg.textValues) && rg.textValues > 0 && rg.textValues < D)) {
    throw new RangeError(`retrievalGuidance needs a finite scale ≥ 0 and a text slot inside the condition, got ${JSON.stringify(rg)}`);
  }
  const guided = rg !== undefined || o.guidance !== 1;
  const parts = rg ? 3 : guided ? 2 : 1;
  const rows = parts * B;
  const xIn = new Float32Array(rows * V);
  const tIn = new Float32Array(rows);
  const cIn = new Float32Array(rows * D); // the last part stays zero: the unconditional input
  cIn.set(o.cond);
  if (rg) for (let b = 0; b < B; b++) cIn.set(o.cond.subarray(b * D, b * D + rg.textValues), (B + b) * D); // [t ; 0]
  const g = o.guidance;
  const previewEvery = o.previewEvery ?? 0;
  const clip = o.clipX0;
  if (clip && !(clip[0] < clip[1])) throw new RangeError(`clipX0 must be [lo, hi] with lo < hi, got [${clip.join(', ')}]`);

  const memory: { x0?: Float64Array; h?: number } = {};
  for (let i = 0; i < ts.length; i++) {
    throwIfAborted(o.signal);
    const t = ts[i]!;
    const tPrev = i + 1 < ts.length ? ts[i + 1]! : -1;
    const aT = o.alphasCumprod[t]!;
    // DPM-Solver++ ends on the schedule's first timestep (ᾱ_0 < 1), as its reference does, so that the last step stays
    // second order (a step to ᾱ = 1 has h = ∞); DDIM ends on ᾱ = 1.
    const aPrev = tPrev >= 0 ? o.alphasCumprod[tPrev]! : o.sampler === 'dpmpp-2m' && t > 0 ? o.alphasCumprod[0]! : 1;
    xIn.set(x);
    for (let part = 1; part < parts; part++) xIn.copyWithin(part * B * V, 0, B * V);
    tIn.fill(t);
    const e = await eps(xIn, tIn, cIn, rows);
    if (e.length < rows * V) throw new RangeError(`the UNet returned ${e.length} values, expected ${rows * V}`);
    throwIfAborted(o.signal);

    const last = i === ts.length - 1;
    const wantPreview = previewEvery > 0 && (last || (i + 1) % previewEvery === 0);
    const preview = wantPreview ? new Float32Array(B * V) : undefined;
    const spec: DdimStepSpec = { alphaT: aT, alphaPrev: aPrev, guidance: g, guided, count: B, imageValues: V, ...(clip ? { clipX0: clip } : {}), ...(rg ? { retrievalGuidance: rg.scale } : {}) };
    if (o.sampler === 'dpmpp-2m') dpmSolverStep(x, e, spec, memory, preview);
    else ddimStep(x, e, spec, preview);
    o.onProgress?.({ step: i + 1, steps: ts.length, timestep: t, ...(preview ? { preview } : {}) });
  }
  return Float32Array.from(x);
}
