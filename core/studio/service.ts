/**
 * The studio service: one façade over datasets, models, the ledger and the mechanism, implementing every channel
 * of the typed contract. The CLI, the local HTTP host and the Electron shell all call these handlers, so the three
 * can never disagree. The façade is a small context (./context.ts) and one room per channel group (./handlers/);
 * every handler's errors go through one mapper (./errors.ts). Generations for one dataset run one at a time in order
 * (each is admitted against the ledger state its predecessor left); different datasets run side by side.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { addDataset, type IndexProgress } from '../datasets/index.ts';
import type { StudioChannel, StudioEvent, StudioHandlers } from '../contract/contract.ts';
import { generationsRoot } from '../generation/generator.ts';
import { createStudioContext, type StudioServiceOptions } from './context.ts';
import { toStudioError, type ErrorScope } from './errors.ts';
import { datasetHandlers } from './handlers/datasets.ts';
import { evaluationHandlers } from './handlers/evaluation.ts';
import { exportFolderFor, exportHandlers } from './handlers/export.ts';
import { generationHandlers } from './handlers/generation.ts';
import { ledgerHandlers } from './handlers/ledger.ts';
import { studioHandlers } from './handlers/studio.ts';
import { DatasetSummaries } from './summaries.ts';

export type { StudioServiceOptions } from './context.ts';

export const DEMO_DATASET_NAME = 'Demo';
export const DEMO_EPSILON_CAP = 10;

export interface StudioService {
  readonly home: string;
  readonly handlers: StudioHandlers;
  subscribe(listener: (event: StudioEvent) => void): () => void;
  /** `/files/<generationId>/<file>` → the generated PNG, or undefined (nothing outside the generations folder). */
  resolveFile(segments: readonly string[]): string | undefined;
  /** Creates the Demo dataset from the model set's bundled demo folder once per studio home. */
  ensureDemoDataset(onProgress?: (p: IndexProgress) => void, options?: { evenIfRemoved?: boolean }): Promise<void>;
  /** A dataset id from an id or a (case-insensitive, unique) name. */
  resolveDatasetRef(ref: string): string;
  /** The folder `export.images` would write to, or the StudioError it would refuse with (checked before a charge). */
  checkExportFolder(folder: string | undefined): string;
  close(): Promise<void>;
}

const FILE_SEGMENT = /^[A-Za-z0-9_-]{1,64}(\.png)?$/;

/** Whose words an error is put in: the curator's (datasets, ledger, settings) or a generation's. */
const SCOPES: { readonly [C in StudioChannel]: ErrorScope } = {
  'studio.info': 'curator',
  'datasets.list': 'curator',
  'datasets.show': 'curator',
  'datasets.add': 'curator',
  'datasets.import': 'curator',
  'datasets.sync': 'curator',
  'datasets.remove': 'curator',
  'prompt.check': 'generation',
  'generate.preview': 'generation',
  'generate.run': 'generation',
  'generate.cancel': 'generation',
  'generate.rerender': 'generation',
  'history.list': 'generation',
  'export.images': 'generation',
  'ledger.show': 'curator',
  'ledger.verify': 'curator',
  'ledger.unlock': 'curator',
  'ledger.export': 'curator',
  'evaluate.run': 'generation',
  'settings.get': 'curator',
  'settings.set': 'curator',
};

/** Every handler's errors mapped once, for its channel's scope (a StudioError passes through unchanged). */
function withErrorMapping(rooms: StudioHandlers): StudioHandlers {
  const mapped: Partial<Record<StudioChannel, unknown>> = {};
  for (const channel of Object.keys(rooms) as StudioChannel[]) {
    const handler = rooms[channel] as (request: unknown, context: unknown) => Promise<unknown>;
    mapped[channel] = async (request: unknown, context: unknown) => {
      try {
        return await handler(request, context);
      } catch (error) {
        throw toStudioError(error, SCOPES[channel]);
      }
    };
  }
  return mapped as StudioHandlers;
}

export async function createStudioService(options: StudioServiceOptions = {}): Promise<StudioService> {
  const ctx = await createStudioContext(options);
  const summaries = new DatasetSummaries(ctx);
  const handlers = withErrorMapping({
    ...studioHandlers(ctx),
    ...datasetHandlers(ctx, summaries),
    ...generationHandlers(ctx),
    ...exportHandlers(ctx),
    ...ledgerHandlers(ctx),
    ...evaluationHandlers(ctx),
  });
  const { home, modelDir, catalog } = ctx;

  return {
    home,
    handlers,
    subscribe: ctx.subscribe,
    resolveFile(segments) {
      if (segments.length !== 2 || !segments.every((s) => FILE_SEGMENT.test(s)) || !segments[0]!.startsWith('gen_') || !segments[1]!.endsWith('.png')) return undefined;
      const file = join(generationsRoot(home), segments[0]!, segments[1]!);
      return existsSync(file) ? file : undefined;
    },
    async ensureDemoDataset(onProgress, demoOptions = {}) {
      if (ctx.settings().demoCreated && !demoOptions.evenIfRemoved) return;
      const folder = join(modelDir, 'demo-private');
      const exists = catalog.all().some((d) => d.name === DEMO_DATASET_NAME || resolve(d.folder) === folder);
      if (!exists && existsSync(folder)) {
        await ctx.queue.run(`add:${folder}`, async () =>
          addDataset({ folder, name: DEMO_DATASET_NAME, epsilonCap: DEMO_EPSILON_CAP, home, ledger: ctx.ledger, embedder: await ctx.indexingEmbedder(), ...(onProgress ? { onProgress } : {}) }),
        );
      }
      ctx.updateSettings({ ...ctx.settings(), demoCreated: true });
    },
    resolveDatasetRef: (ref) => catalog.resolveRef(ref),
    checkExportFolder: (folder) => exportFolderFor(ctx, folder),
    close: () => ctx.close(),
  };
}
