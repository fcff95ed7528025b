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
}

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

/** Runs the sampler; returns the final images [count, C,H,W] as float32. */
export async function ddimSample(eps: EpsFunction, o: DdimOptions): Promise<Float32Array> {
  const { count: B, imageValues: V, condDim: D } = o;
  if (!Number.isInteger(B) || B < 1) throw new RangeError(`count must be a positive integer, got ${B}`);
  if (o.cond.length !== B * D) throw new RangeError(`cond has ${o.cond.length} values, expected ${B}×${D}`);
  if (!(Number.isFinite(o.guidance) && o.guidance >= 0)) throw new RangeError(`guidance must be a finite number ≥ 0, got ${o.guidance}`);
  const T = o.alphasCumprod.length;
  const ts = ddimTimesteps(o.steps, T);
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

  for (let i = 0; i < ts.length; i++) {
    throwIfAborted(o.signal);
    const t = ts[i]!;
    const tPrev = i + 1 < ts.length ? ts[i + 1]! : -1;
    const aT = o.alphasCumprod[t]!;
    const aPrev = tPrev >= 0 ? o.alphasCumprod[tPrev]! : 1;
    xIn.set(x);
    for (let part = 1; part < parts; part++) xIn.copyWithin(part * B * V, 0, B * V);
    tIn.fill(t);
    const e = await eps(xIn, tIn, cIn, rows);
    if (e.length < rows * V) throw new RangeError(`the UNet returned ${e.length} values, expected ${rows * V}`);
    throwIfAborted(o.signal);

    const last = i === ts.length - 1;
    const wantPreview = previewEvery > 0 && (last || (i + 1) % previewEvery === 0);
    const preview = wantPreview ? new Float32Array(B * V) : undefined;
    ddimStep(x, e, { alphaT: aT, alphaPrev: aPrev, guidance: g, guided, count: B, imageValues: V, ...(clip ? { clipX0: clip } : {}), ...(rg ? { retrievalGuidance: rg.scale } : {}) }, preview);
    o.onProgress?.({ step: i + 1, steps: ts.length, timestep: t, ...(preview ? { preview } : {}) });
  }
  return Float32Array.from(x);
}
