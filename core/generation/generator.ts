/**
 * One generation = at most one private query (docs/design.md §3, §5):
 *   text encode → [private: ledger charge → load the store → privateAggregate] | [public: publicAggregate]
 *   → c = λ·r̃ + (1−λ)·t → DDIM images from c, written as PNGs with their provenance.
 * The charge commits before any private row is read; a refusal ends the request with nothing read. Everything
 * after the aggregate is post-processing: images, seeds and re-renders from a held c cost nothing more. c (computed
 * from the DP release r̃ and public t) is kept in memory and in the local history, so a re-render is free and exact
 * also after a restart; exports never carry it.
 */
import { randomInt } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { homeLayout } from '../paths.ts';
import type { PrivateStore } from '../datasets/index.ts';
import { a1111Parameters, type ImageProvenance } from '../export/provenance.ts';
import { insertChunksBeforeEnd, internationalTextChunk, textChunk } from '../export/png-text-chunks.ts';
import type { Ledger, LedgerReceipt } from '../ledger/index.ts';
import { conditionVector, ModelAbortError, tensorToPng, type GenerateProgress, type ModelService, type PublicRetrievalSet } from '../models/index.ts';
import { privateAggregate, publicAggregate } from '../privacy/index.ts';
import { StudioError, type GeneratedImage, type StudioEvent } from '../contract/contract.ts';
import type { Sampler } from '../contract/contract.ts';
import { HistoryStore, newId, type PrivacyFacts, type StoredGeneration, type StoredImage } from './history.ts';

/** Images sampled per decoder call: small enough that the grid fills progressively. */
const IMAGES_PER_BATCH = 4;
/** A preview of every image every this many DDIM steps. */
const PREVIEW_EVERY = 5;
/** Held conditions kept for free re-renders (each is a few hundred bytes). */
const MAX_HELD_CONDITIONS = 2000;

export interface ModelSetIdentity {
  readonly name: string;
  readonly version: string;
  /** sha256 of the set's manifest.json, which pins every file's sha256. */
  readonly sha256: string;
}

export interface RenderSettings {
  readonly images: number;
  readonly guidance: number;
  readonly steps: number;
  readonly sampler: Sampler;
  readonly seeds?: readonly number[] | undefined;
}

export type ConditionSource =
  | { readonly kind: 'private'; readonly datasetId: string; readonly k: number; readonly q: number; readonly sigma: number }
  | { readonly kind: 'public'; readonly datasetId: string | null; readonly k: number };

export interface GenerationSpec {
  readonly prompt: string;
  readonly source: ConditionSource;
  readonly lambda: number;
  readonly render: RenderSettings;
  /**
   * How a private query is recorded in the ledger (default: a 'release' whose purpose is the prompt). The
   * evaluation's queries are 'audit' entries (same cost, never released) with a purpose that names no prompt.
   */
  /** How the query is accounted: charged now (default: a release for the prompt), or with a receipt the caller already holds. */
  readonly charge?: { readonly kind: 'release' | 'audit'; readonly purpose: string } | { readonly prepaid: LedgerReceipt };
}

export interface GenerationOutcome {
  readonly generation: StoredGeneration;
  readonly images: StoredImage[];
  readonly cancelled: boolean;
  /** The receipt this generation's own query was charged under (undefined: public or a free re-render). */
  readonly receipt: LedgerReceipt | undefined;
}

interface HeldCondition {
  readonly cond: Float32Array;
}

export interface GeneratorDeps {
  readonly home: string;
  readonly ledger: Ledger;
  readonly history: HistoryStore;
  readonly models: () => Promise<ModelService>;
  readonly publicSet: () => Promise<PublicRetrievalSet>;
  readonly modelSet: ModelSetIdentity;
  readonly studioVersion: string;
  readonly emit: (event: StudioEvent) => void;
  /** Loads a dataset's private store (after its charge); cached by the service. */
  readonly privateStore: (datasetId: string) => PrivateStore;
  /**
   * For `bench:generate` only: how long each stage of this pipeline took, so the bench measures this code and not a
   * copy. The service never sets it — timings of private steps must not leave the process.
   */
  readonly probe?: GenerationProbe;
}

export type GenerationStage = 'textEncode' | 'charge' | 'aggregate' | 'sampling' | 'pngWrite';
export type GenerationProbe = (stage: GenerationStage, ms: number) => void;

/**
 * The decoder calls for `total` images, as (first image index, count): the first image alone, so it arrives after
 * one image's sampling time rather than a batch's, then batches of IMAGES_PER_BATCH (16 → 1, 4, 4, 4, 3).
 */
export function samplingBatches(total: number): { start: number; count: number }[] {
  const batches = total > 0 ? [{ start: 0, count: 1 }] : [];
  for (let start = 1; start < total; start += IMAGES_PER_BATCH) batches.push({ start, count: Math.min(IMAGES_PER_BATCH, total - start) });
  return batches;
}

export function generationsRoot(home: string): string {
  return homeLayout(home).generations;
}

export function imageUrl(image: StoredImage): string {
  return `/files/${image.generationId}/${image.file}`;
}

export function toGeneratedImage(image: StoredImage): GeneratedImage {
  return { imageId: image.imageId, index: image.index, seed: image.seed, guidance: image.guidance, steps: image.steps, sampler: image.sampler, url: imageUrl(image) };
}

function unitVector(data: Float32Array): Float64Array {
  const t = Float64Array.from(data);
  let norm = 0;
  for (const v of t) norm += v * v;
  norm = Math.sqrt(norm);
  if (!(norm > 0) || !Number.isFinite(norm)) throw new StudioError('INVALID_REQUEST', 'the prompt has no words the model knows; rephrase it');
  for (let i = 0; i < t.length; i++) t[i]! /= norm;
  return t;
}

/** c = λ·r + (1−λ)·t (docs/design.md §3 step 6). */
export class Generator {
  private readonly held = new Map<string, HeldCondition>();

  constructor(private readonly deps: GeneratorDeps) {}

  /** Whether the condition of `generationId` is held (in memory, or in the history: re-renders are free). */
  holds(generationId: string): boolean {
    return this.heldCondition(generationId) !== undefined;
  }

  private heldCondition(generationId: string): HeldCondition | undefined {
    const inMemory = this.held.get(generationId);
    if (inMemory) return inMemory;
    const cond = this.deps.history.condition(generationId);
    return cond ? { cond } : undefined;
  }

  /** A new query: the only place a private charge happens. */
  async generate(spec: GenerationSpec, jobId: string, signal: AbortSignal): Promise<GenerationOutcome> {
    const { deps } = this;
    const lap = this.stopwatch();
    const models = await deps.models();
    const text = await models.embedTexts([spec.prompt], { signal });
    const t = unitVector(text.data.subarray(0, text.dim));
    lap('textEncode');
    if (signal.aborted) throw new StudioError('CANCELLED', 'cancelled before anything was charged');

    let aggregate: Float64Array;
    let receipt: LedgerReceipt | undefined;
    let privacy: PrivacyFacts | null = null;
    const src = spec.source;
    if (src.kind === 'private') {
      // docs/design.md §5: the charge commits first; a BudgetExceededError ends the request before any private row is read.
      if (spec.charge && 'prepaid' in spec.charge) {
        // A receipt charged earlier by the caller (the evaluation pays for all its queries before it reads a row).
        const paid = spec.charge.prepaid;
        if (paid.datasetId !== src.datasetId || paid.q !== src.q || paid.sigma !== src.sigma || paid.k !== src.k || !deps.ledger.hasReceipt(paid.receiptId, src.datasetId)) {
          throw new StudioError('INTERNAL', 'a prepaid receipt does not match its query; nothing was read');
        }
        receipt = paid;
      } else {
        const charge = spec.charge ?? { kind: 'release' as const, purpose: spec.prompt };
        receipt = deps.ledger.charge(src.datasetId, { q: src.q, sigma: src.sigma, k: src.k, lambda: spec.lambda, purpose: charge.purpose, kind: charge.kind });
      }
      lap('charge');
      const store = deps.privateStore(src.datasetId);
      aggregate = privateAggregate(t, store.rows, { k: src.k, q: src.q, sigma: src.sigma }).vector;
      lap('aggregate');
      privacy = {
        receiptId: receipt.receiptId,
        epsilonCost: receipt.epsilonCost,
        cumulativeEpsilon: receipt.cumulativeEpsilon,
        epsilonCap: receipt.epsilonCap,
        delta: receipt.delta,
        order: receipt.order,
      };
    } else {
      const set = await deps.publicSet();
      aggregate = publicAggregate(t, { data: set.data, rows: set.count, dim: set.dim }, src.k);
      lap('aggregate');
    }
    const cond = conditionVector(models.info.manifest.decoder, aggregate, t, spec.lambda);

    const generation: StoredGeneration = {
      generationId: newId('gen'),
      datasetId: src.datasetId,
      prompt: spec.prompt,
      createdAt: new Date().toISOString(),
      publicOnly: src.kind === 'public',
      sigma: src.kind === 'private' ? src.sigma : null,
      k: src.k,
      q: src.kind === 'private' ? src.q : null,
      lambda: spec.lambda,
      epsilonCharged: receipt?.epsilonCost ?? 0,
      privacy,
      rerenderOf: null,
      cancelled: false,
    };
    this.hold(generation.generationId, { cond });
    return this.render(generation, cond, spec.render, jobId, signal, receipt);
  }

  /** New images from a held condition: no query, no charge (post-processing of the released r̃). */
  async rerender(generationId: string, render: RenderSettings, jobId: string, signal: AbortSignal): Promise<GenerationOutcome> {
    const held = this.heldCondition(generationId);
    if (!held) throw new StudioError('NOT_FOUND', 'this generation’s condition is not held (it was recorded before the studio kept conditions); generate again');
    const base = this.deps.history.generation(generationId);
    if (!base) throw new StudioError('NOT_FOUND', `no generation ${generationId}`);
    const generation: StoredGeneration = {
      ...base,
      generationId: newId('gen'),
      createdAt: new Date().toISOString(),
      epsilonCharged: 0,
      rerenderOf: base.rerenderOf ?? base.generationId,
      cancelled: false,
    };
    this.hold(generation.generationId, held);
    return this.render(generation, held.cond, render, jobId, signal, undefined);
  }

  /** Laps of the probe (a no-op without one): each call reports the time since the previous one. */
  private stopwatch(): (stage: GenerationStage) => void {
    const probe = this.deps.probe;
    if (!probe) return () => undefined;
    let last = performance.now();
    return (stage) => {
      const now = performance.now();
      probe(stage, now - last);
      last = now;
    };
  }

  private hold(generationId: string, condition: HeldCondition): void {
    this.held.set(generationId, condition);
    if (this.held.size > MAX_HELD_CONDITIONS) this.held.delete(this.held.keys().next().value!);
  }

  private async render(
    generation: StoredGeneration,
    cond: Float32Array,
    render: RenderSettings,
    jobId: string,
    signal: AbortSignal,
    receipt: LedgerReceipt | undefined,
  ): Promise<GenerationOutcome> {
    const { deps } = this;
    const lap = this.stopwatch();
    deps.history.addGeneration(generation);
    deps.history.saveCondition(generation.generationId, cond);
    const dir = join(generationsRoot(deps.home), generation.generationId);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    lap('pngWrite'); // the generation's history row, condition and folder: bookkeeping, counted with the writes
    const seeds = render.seeds?.slice() ?? Array.from({ length: render.images }, () => randomInt(0, 2 ** 32));
    const images: StoredImage[] = [];
    const models = await deps.models();
    const size = models.info.manifest.decoder.imageSize;
    const range = models.info.manifest.decoder.outputRange;
    deps.emit({ type: 'progress', jobId, task: 'generate', phase: 'sampling', done: 0, total: render.images });
    // Previews are encoded asynchronously: chained so they arrive in step order, and awaited before a batch's final
    // images and before the job ends (a late preview must never replace a finished tile). A failed preview is
    // only a missing preview.
    let previews: Promise<void> = Promise.resolve();
    try {
      for (const { start, count: n } of samplingBatches(render.images)) {
        const out = await models.generate(
          { cond, count: n, seeds: seeds.slice(start, start + n), steps: render.steps, guidance: render.guidance, sampler: render.sampler, previewEvery: PREVIEW_EVERY },
          { signal, onProgress: (p) => void (previews = previews.then(() => this.preview(p, start, n, size, range, jobId)).catch(() => undefined)) },
        );
        await previews;
        lap('sampling');
        const V = 3 * size * size;
        for (let b = 0; b < n; b++) {
          const index = start + b;
          const image: StoredImage = {
            imageId: newId('img'),
            generationId: generation.generationId,
            index,
            seed: seeds[index]!,
            guidance: render.guidance,
            steps: render.steps,
            sampler: render.sampler,
            file: `${String(index + 1).padStart(2, '0')}.png`,
          };
          const png = await tensorToPng(out.images.subarray(b * V, (b + 1) * V), size, range);
          writeFileSync(join(dir, image.file), this.withProvenance(png, generation, image, size));
          deps.history.addImage(image);
          lap('pngWrite');
          images.push(image);
          deps.emit({ type: 'image', jobId, image: toGeneratedImage(image) });
          deps.emit({ type: 'progress', jobId, task: 'generate', phase: 'sampling', done: index + 1, total: render.images });
        }
      }
    } catch (error) {
      await previews;
      if (!(error instanceof ModelAbortError || signal.aborted)) throw error;
      deps.history.markCancelled(generation.generationId);
      return { generation: { ...generation, cancelled: true }, images, cancelled: true, receipt };
    }
    return { generation, images, cancelled: false, receipt };
  }

  private async preview(p: GenerateProgress, start: number, n: number, size: number, range: readonly [number, number], jobId: string): Promise<void> {
    if (!p.preview) return;
    const V = 3 * size * size;
    for (let b = 0; b < n; b++) {
      const png = await tensorToPng(p.preview.subarray(b * V, (b + 1) * V), size, range);
      this.deps.emit({ type: 'preview', jobId, imageIndex: start + b, step: p.step, steps: p.steps, pngDataUrl: `data:image/png;base64,${png.toString('base64')}` });
    }
  }

  provenanceOf(generation: StoredGeneration, image: StoredImage, size: number): ImageProvenance {
    const g = generation;
    return {
      prompt: g.prompt,
      seed: image.seed,
      steps: image.steps,
      sampler: image.sampler,
      guidance: image.guidance,
      width: size,
      height: size,
      modelSet: this.deps.modelSet,
      studioVersion: this.deps.studioVersion,
      generationId: g.generationId,
      createdAt: g.createdAt,
      privacy: g.privacy
        ? {
            mode: 'private',
            datasetId: g.datasetId!,
            receiptId: g.privacy.receiptId,
            epsilonCost: g.privacy.epsilonCost,
            cumulativeEpsilon: g.privacy.cumulativeEpsilon,
            epsilonCap: g.privacy.epsilonCap,
            delta: g.privacy.delta,
            ...(g.privacy.order !== undefined ? { order: g.privacy.order } : {}),
            mechanism: { q: g.q!, sigma: g.sigma!, k: g.k, lambda: g.lambda },
          }
        : { mode: 'public-only' },
    };
  }

  private withProvenance(png: Buffer, generation: StoredGeneration, image: StoredImage, size: number): Buffer {
    const provenance = this.provenanceOf(generation, image, size);
    return insertChunksBeforeEnd(png, [textChunk('parameters', a1111Parameters(provenance)), internationalTextChunk('dprdm', JSON.stringify(provenance))]);
  }
}
