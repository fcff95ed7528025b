/**
 * What every room of the studio façade shares (docs/design.md §1): the home, the model set, the ledger, the history,
 * the dataset catalog, the job machinery and the one generation pipeline. Built once per studio; the rooms
 * (./handlers/*) each implement their slice of the contract on top of it.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defaultModelDir, embedderFromModelService, listDatasets, loadPrivateStore, type ImageEmbedder, type PrivateStore } from '../datasets/index.ts';
import { openLedger, studioHome, type Ledger, type RetrievalRange } from '../ledger/index.ts';
import { homeLayout } from '../paths.ts';
import { ModelHost, readPublicRetrieval, retrievalRange, verifyModelSet, type Manifest, type ModelChannelSpawn, type ModelService, type PublicRetrievalSet } from '../models/index.ts';
import { GENERATION_DEFAULTS, type StudioEvent } from '../contract/contract.ts';
import { Generator, type ModelSetIdentity } from '../generation/generator.ts';
import { HistoryStore } from '../generation/history.ts';
import { DatasetCatalog } from './catalog.ts';
import { JobRegistry, type JobHost } from './jobs.ts';
import { KeyedSerialQueue } from './serial-queue.ts';
import { readSettings, writeSettings, type Settings } from './settings.ts';

export interface StudioServiceOptions {
  /** The studio's data folder (default studioHome(), which honours DPRDM_HOME). */
  readonly home?: string;
  /** The model set folder (default the embedded native-models/looks-v1). */
  readonly modelDir?: string;
  /** An already running model service to use (it is not closed by the studio). */
  readonly models?: ModelService;
  /** How the studio starts its model host (default a worker thread; the desktop app passes a utility process). */
  readonly modelSpawn?: ModelChannelSpawn;
  /** Lets `export.images` write to any folder outside private ones (the CLI's --out); transports never set it. */
  readonly exportAnywhere?: boolean;
}

export const STUDIO_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface StudioContext extends JobHost {
  readonly home: string;
  readonly modelDir: string;
  readonly manifest: Manifest;
  readonly modelSet: ModelSetIdentity;
  readonly range: RetrievalRange;
  /** The model set's λ (manifest retrieval.lambda), the default of every generation. */
  readonly defaultLambda: number;
  readonly exportAnywhere: boolean;
  readonly ledger: Ledger;
  readonly history: HistoryStore;
  readonly catalog: DatasetCatalog;
  readonly generator: Generator;
  subscribe(listener: (event: StudioEvent) => void): () => void;
  models(): Promise<ModelService>;
  publicSet(): Promise<PublicRetrievalSet>;
  /** The embedder indexing uses (it also measures how familiar a folder is to the model set). */
  indexingEmbedder(): Promise<ImageEmbedder>;
  /** Drops a dataset's cached private store and catalog entry (after sync or remove). */
  forget(datasetId: string): void;
  settings(): Settings;
  /** Saves new settings; a new execution provider restarts the model host on the next model call. */
  updateSettings(next: Settings): void;
  close(): Promise<void>;
}

export async function createStudioContext(options: StudioServiceOptions = {}): Promise<StudioContext> {
  const home = resolve(options.home ?? studioHome());
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const modelDir = resolve(options.modelDir ?? defaultModelDir());
  const verified = await verifyModelSet(modelDir);
  const manifest = verified.manifest;
  const modelSet: ModelSetIdentity = {
    name: manifest.name,
    version: manifest.version,
    sha256: createHash('sha256').update(readFileSync(join(modelDir, 'manifest.json'))).digest('hex'),
  };
  let settings = readSettings(home);
  // Before the catalog exists: the ledger must never be created inside a private folder.
  const ledger = openLedger(homeLayout(home).ledger, { forbiddenRoots: listDatasets({ home }).map((d) => d.folder) });
  const history = new HistoryStore(homeLayout(home).history);
  const catalog = new DatasetCatalog(home, ledger);
  const listeners = new Set<(event: StudioEvent) => void>();
  const emit = (event: StudioEvent) => {
    for (const listener of listeners) listener(event);
  };

  // Models: started on first use, restarted when the execution provider changes.
  let modelsPromise: Promise<ModelService> | undefined = options.models ? Promise.resolve(options.models) : undefined;
  const ownsModels = !options.models;
  const models = () => (modelsPromise ??= ModelHost.start(modelDir, { provider: settings.executionProvider }, options.modelSpawn));
  let publicSetPromise: Promise<PublicRetrievalSet> | undefined;
  const publicSet = () => (publicSetPromise ??= readPublicRetrieval(verified));

  // Private stores: loaded after a charge, kept while the member set the ledger accounts for is unchanged.
  const stores = new Map<string, PrivateStore>();
  const privateStore = (datasetId: string): PrivateStore => {
    const fingerprint = ledger.getDataset(datasetId).fingerprint;
    const cached = stores.get(datasetId);
    if (cached && cached.fingerprint === fingerprint) return cached;
    cached?.close?.();
    const store = loadPrivateStore(datasetId, { home, accountedFingerprint: fingerprint });
    stores.set(datasetId, store);
    return store;
  };
  const generator = new Generator({ home, ledger, history, models, publicSet, modelSet, studioVersion: STUDIO_VERSION, emit, privateStore });

  return {
    home,
    modelDir,
    manifest,
    modelSet,
    range: retrievalRange(manifest),
    defaultLambda: manifest.retrieval.lambda ?? GENERATION_DEFAULTS.lambda,
    exportAnywhere: options.exportAnywhere === true,
    ledger,
    history,
    catalog,
    generator,
    jobs: new JobRegistry(),
    queue: new KeyedSerialQueue(),
    emit,
    subscribe: (listener) => {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    models,
    publicSet,
    indexingEmbedder: async () => embedderFromModelService(await models(), await publicSet()),
    forget: (datasetId) => {
      stores.delete(datasetId);
      catalog.invalidate(datasetId);
    },
    settings: () => settings,
    updateSettings: (next) => {
      const providerChanged = next.executionProvider !== settings.executionProvider;
      settings = next;
      writeSettings(home, settings);
      if (providerChanged && ownsModels && modelsPromise) {
        // The next model call starts a host on the new provider; the old one finishes what it is doing.
        const old = modelsPromise;
        modelsPromise = undefined;
        void old.then((m) => m.close()).catch(() => undefined);
      }
    },
    async close() {
      if (ownsModels && modelsPromise) await (await modelsPromise.catch(() => undefined))?.close();
      for (const store of stores.values()) store.close?.();
      stores.clear();
      history.close();
      ledger.close();
    },
  };
}
