/**
 * A loaded model set on the current thread: verified files, one session per model on the chosen provider,
 * the tokenizer, and the operations built on them. Use it directly in scripts and benchmarks; the studio uses
 * it through `ModelHost` (model-host.ts), which keeps it in a worker thread.
 */
import { ddimSample, type DdimProgress, type EpsFunction, type SamplerKind } from './ddim.ts';
import { type EmbeddingBatch, ImageEncoderModel, TextEncoderModel, type TextEmbeddingBatch } from './encoders.ts';
import type { ExecutionOptions, ExecutionProviderName } from './execution-provider.ts';
import type { Manifest } from './manifest.ts';
import { type Seed, randomSeed } from './noise.ts';
import { type ImageToTensorOptions, imageToTensor } from './preprocess.ts';
import { type OpenedSession, openSession, resolveProvider, ort } from './session.ts';
import { WordTokenizer } from './tokenizer.ts';
import { unetEps } from './unet.ts';
import { verifyModelSet } from './verify.ts';

export interface ModelRuntimeOptions extends ExecutionOptions {
  /** Largest encoder batch per onnxruntime call (default 64). */
  encoderBatch?: number;
  /** Also open the judge (evaluation only; default false). */
  judge?: boolean;
}

export interface GenerateRequest {
  /** Conditions, row-major [n, condDim]: one row per image, or one row shared by all `count` images. */
  cond: Float32Array;
  /** Number of images (default: rows of cond). */
  count?: number;
  /** One seed per image; random (from node:crypto) when absent. */
  seeds?: readonly Seed[];
  /** Explicit x_T [count, C,H,W] instead of seeds (tests). */
  initialNoise?: Float32Array;
  /** Sampler steps (default: manifest sampler default, else 25). */
  steps?: number;
  /** 'ddim' (the manifest's sampler, default) or 'dpmpp-2m' (DPM-Solver++(2M), ddim.ts: fewer steps for the same ODE). */
  sampler?: SamplerKind;
  /** Classifier-free guidance scale (default: manifest sampler default, else 3). */
  guidance?: number;
  /** Images per UNet batch (default 16); larger requests are sampled batch after batch. */
  batchSize?: number;
  /** Previews every n steps (0: none). */
  previewEvery?: number;
}

export interface GenerateProgress extends DdimProgress {
  /** Images finished before this batch, and the total. */
  imagesDone: number;
  images: number;
  /** Index of the first image of the current batch. */
  batchStart: number;
}

export interface GeneratedImages {
  /** [count, C, S, S] float32 in the decoder's output range (unclipped). */
  images: Float32Array;
  count: number;
  imageSize: number;
  channels: number;
  seeds: Seed[] | undefined;
  steps: number;
  guidance: number;
}

/** Judge logits per attribute of manifest.judge.attributes, row-major [n, labels] (label order as listed there). */
export type JudgeLogits = Record<string, Float32Array>;

export interface ModelSetInfo {
  dir: string;
  manifest: Manifest;
  provider: ExecutionProviderName;
  notes: string[];
}

export class ModelRuntime {
  private constructor(
    readonly info: ModelSetInfo,
    readonly tokenizer: WordTokenizer,
    readonly text: TextEncoderModel,
    readonly image: ImageEncoderModel,
    private readonly sessions: OpenedSession[],
    private readonly unet: ort.InferenceSession,
    readonly judgeSession: ort.InferenceSession | undefined,
  ) {}

  static async load(dir: string, options: ModelRuntimeOptions = {}): Promise<ModelRuntime> {
    const set = await verifyModelSet(dir);
    const m = set.manifest;
    const selection = await resolveProvider(options);
    const tokenizer = await WordTokenizer.load(set.paths.tokenizer, m.tokenizer);
    const sessions: OpenedSession[] = [];
    const open = async (path: string, inputs: string[], outputs: string[]) => {
      const s = await openSession(path, selection, options, { inputs, outputs });
      sessions.push(s);
      return s.session;
    };
    try {
      const textSession = await open(set.paths.textEncoder, ['input_ids'], ['embedding']);
      const imageSession = await open(set.paths.imageEncoder, ['pixels'], ['embedding']);
      const unet = await open(set.paths.decoder, ['x', 't', 'cond'], ['eps']);
      const judge = options.judge ? await open(set.paths.judge, ['pixels'], Object.keys(set.manifest.judge.attributes)) : undefined;
      const notes = [...new Set(sessions.flatMap((s) => (s.note ? [s.note] : [])))];
      const enc = { maxBatch: options.encoderBatch ?? 64 };
      return new ModelRuntime(
        { dir: set.dir, manifest: m, provider: sessions[0]!.provider, notes },
        tokenizer,
        new TextEncoderModel(textSession, tokenizer, m.embedding.dim, enc),
        new ImageEncoderModel(imageSession, m.image.size, m.embedding.dim, enc),
        sessions,
        unet,
        judge,
      );
    } catch (error) {
      await Promise.all(sessions.map((s) => s.session.release()));
      throw error;
    }
  }

  get manifest(): Manifest {
    return this.info.manifest;
  }

  embedTexts(texts: readonly string[]): Promise<TextEmbeddingBatch> {
    return this.text.embedTexts(texts);
  }

  embedImages(tensors: readonly Float32Array[] | Float32Array): Promise<EmbeddingBatch> {
    return this.image.embedImages(tensors);
  }

  /** Decodes and embeds image files (or buffers); failures are reported per item, never thrown for the batch. */
  async embedImageFiles(
    inputs: readonly (string | Buffer)[],
    options: ImageToTensorOptions = {},
  ): Promise<EmbeddingBatch & { failures: { index: number; message: string }[]; ok: number[] }> {
    const per = 3 * this.manifest.image.size ** 2;
    const settled = await Promise.allSettled(inputs.map((input) => imageToTensor(input, this.manifest.image, options)));
    const ok: number[] = [];
    const failures: { index: number; message: string }[] = [];
    const packed = new Float32Array(inputs.length * per);
    settled.forEach((r, i) => {
      if (r.status === 'fulfilled') {
        packed.set(r.value, ok.length * per);
        ok.push(i);
      } else failures.push({ index: i, message: (r.reason as Error).message });
    });
    const batch = await this.image.embedImages(packed.subarray(0, ok.length * per));
    return { ...batch, ok, failures };
  }

  /** Generates images with DDIM + CFG in batches; `onProgress` fires after every step of every batch. */
  async generate(request: GenerateRequest, onProgress?: (p: GenerateProgress) => void, signal?: AbortSignal): Promise<GeneratedImages> {
    const m = this.manifest;
    const D = m.decoder.condDim;
    const S = m.decoder.imageSize;
    const C = m.decoder.channels;
    const V = C * S * S;
    if (request.cond.length % D !== 0 || request.cond.length === 0) throw new RangeError(`cond must hold rows of ${D} values`);
    const condRows = request.cond.length / D;
    const count = request.count ?? condRows;
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be a positive integer, got ${count}`);
    if (condRows !== count && condRows !== 1) throw new RangeError(`cond has ${condRows} rows for ${count} images (give 1 or ${count})`);
    const steps = request.steps ?? m.decoder.sampler.defaultSteps;
    const guidance = request.guidance ?? m.decoder.sampler.defaultGuidance;
    // The model set's separate retrieval-slot guidance (two-slot conditions only): its images need it to carry the folder.
    const retrievalGuidance = m.decoder.condition.layout === 'text+retrieval' ? m.decoder.sampler.retrievalGuidance : undefined;
    const batchSize = request.batchSize ?? 16;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
    const seeds = request.initialNoise ? request.seeds?.slice() : (request.seeds?.slice() ?? Array.from({ length: count }, randomSeed));
    if (seeds && seeds.length !== count) throw new RangeError(`${seeds.length} seeds for ${count} images`);
    if (request.initialNoise && request.initialNoise.length !== count * V) throw new RangeError(`initialNoise must hold ${count}×${V} values`);

    const eps = this.epsFunction();
    const images = new Float32Array(count * V);
    for (let start = 0; start < count; start += batchSize) {
      const n = Math.min(batchSize, count - start);
      const cond = new Float32Array(n * D);
      for (let b = 0; b < n; b++) cond.set(condRows === 1 ? request.cond : request.cond.subarray((start + b) * D, (start + b + 1) * D), b * D);
      const out = await ddimSample(eps, {
        cond,
        condDim: D,
        count: n,
        imageValues: V,
        steps,
        guidance,
        ...(request.sampler ? { sampler: request.sampler } : {}),
        alphasCumprod: m.decoder.schedule.alphasCumprod,
        ...(m.decoder.sampler.clipX0 ? { clipX0: m.decoder.outputRange } : {}),
        ...(retrievalGuidance !== undefined ? { retrievalGuidance: { scale: retrievalGuidance, textValues: m.embedding.dim } } : {}),
        ...(request.initialNoise ? { initialNoise: request.initialNoise.subarray(start * V, (start + n) * V) } : { seeds: seeds!.slice(start, start + n) }),
        ...(signal ? { signal } : {}),
        ...(request.previewEvery ? { previewEvery: request.previewEvery } : {}),
        onProgress: (p) => onProgress?.({ ...p, imagesDone: start, images: count, batchStart: start }),
      });
      images.set(out, start * V);
    }
    return { images, count, imageSize: S, channels: C, seeds, steps, guidance };
  }

  /** The decoder UNet as the sampler's eps function (for custom samplers and golden tests). */
  epsFunction(): EpsFunction {
    const d = this.manifest.decoder;
    return unetEps(this.unet, d.imageSize, d.channels, d.condDim);
  }

  /** Judge logits per attribute for images [n,3,32,32] in [-1,1] (evaluation only). */
  async judge(images: Float32Array, count: number): Promise<JudgeLogits> {
    if (!this.judgeSession) throw new Error('the judge was not loaded (ModelRuntime.load(dir, { judge: true }))');
    const S = this.manifest.decoder.imageSize;
    const out = await this.judgeSession.run({ pixels: new ort.Tensor('float32', images, [count, 3, S, S]) });
    return Object.fromEntries(Object.keys(this.manifest.judge.attributes).map((k) => [k, out[k]!.data as Float32Array]));
  }

  async release(): Promise<void> {
    await Promise.all(this.sessions.map((s) => s.session.release()));
  }
}
