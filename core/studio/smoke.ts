/**
 * The smoke run: the whole studio once, on a fresh studio home — open the ledger, index the bundled demo folder,
 * one public-only and one private generation, export both, verify the ledger — with each step's duration. The CLI
 * (`dprdm smoke`) and the desktop app (`--smoke`, inside Electron's main process) run this same sequence, so a
 * packaging machine can tell whether a built app works. It only ever reads the bundled demo folder, whose images are
 * public, so its timings say nothing about anyone's private data.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelChannelSpawn } from '../models/index.ts';
import { createStudioService, DEMO_DATASET_NAME } from './service.ts';

export interface SmokeStep {
  readonly step: string;
  readonly ms: number;
}

export interface SmokeReport {
  readonly ok: boolean;
  readonly home: string;
  readonly modelSet: string;
  readonly steps: readonly SmokeStep[];
  readonly images: number;
  readonly exported: number;
  readonly ledgerVerified: boolean;
  readonly totalMs: number;
}

export interface SmokeOptions {
  /** A fresh folder is made (and removed afterwards) unless a home is given. */
  readonly home?: string;
  readonly modelDir?: string;
  /** How to start the model host (Electron passes its utility-process spawn). */
  readonly modelSpawn?: ModelChannelSpawn;
  /** DDIM steps per image (default 5: the smoke checks that everything runs, not image quality). */
  readonly steps?: number;
}

export async function runSmoke(options: SmokeOptions = {}): Promise<SmokeReport> {
  const fresh = options.home === undefined;
  const home = options.home ?? mkdtempSync(join(tmpdir(), 'dprdm-smoke-'));
  const steps: SmokeStep[] = [];
  const t0 = performance.now();
  const timed = async <T>(step: string, body: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    const value = await body();
    steps.push({ step, ms: Math.round(performance.now() - start) });
    return value;
  };
  const service = await timed('open', () => createStudioService({ home, ...(options.modelDir ? { modelDir: options.modelDir } : {}), ...(options.modelSpawn ? { modelSpawn: options.modelSpawn } : {}) }));
  try {
    const h = service.handlers;
    const info = await h['studio.info']({}, {});
    await timed('index-demo', () => service.ensureDemoDataset(undefined, { evenIfRemoved: true }));
    const datasetId = service.resolveDatasetRef(DEMO_DATASET_NAME);
    const render = { images: 1, guidance: 3, steps: options.steps ?? 5, sampler: 'ddim' as const, lambda: 0.5 };
    const publicOnly = await timed('generate-public', () => h['generate.run']({ datasetId, prompt: 'a red star', publicOnly: true, ...render }, {}));
    const privateRun = await timed('generate-private', () => h['generate.run']({ datasetId, prompt: 'a red star', publicOnly: false, ...render }, {}));
    const exported = await timed('export', () => h['export.images']({ imageIds: [...publicOnly.images, ...privateRun.images].map((i) => i.imageId) }, {}));
    const verified = await timed('verify-ledger', () => h['ledger.verify']({ datasetId }, {}));
    const images = publicOnly.images.length + privateRun.images.length;
    return {
      ok: verified.ok && images === 2 && privateRun.chargeSpent,
      home: fresh ? '(temporary)' : home,
      modelSet: `${info.modelSet.name} ${info.modelSet.version}`,
      steps,
      images,
      exported: exported.files.filter((f) => f.endsWith('.png')).length,
      ledgerVerified: verified.ok,
      totalMs: Math.round(performance.now() - t0),
    };
  } finally {
    await service.close();
    if (fresh) rmSync(home, { recursive: true, force: true });
  }
}
