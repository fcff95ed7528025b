/**
 * The studio service: one façade over datasets, models, the ledger and the mechanism, implementing every channel
 * of the typed contract. The CLI, the local HTTP host and the Electron shell all call these handlers, so the three
 * can never disagree. Generations for one dataset run one at a time in order (each is admitted against the ledger
 * state its predecessor left); different datasets run side by side.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import {
  addDataset,
  defaultModelDir,
  embedderFromModelService,
  listDatasets,
  loadPrivateStore,
  removeDataset,
  showDataset,
  syncDataset,
  type DatasetSummary as IndexedDataset,
  type IndexProgress,
  type PrivateStore,
} from '../datasets/index.ts';
import { writeExportFolder, type ExportItem } from '../export/export-images.ts';
import { privacyStatement } from '../export/privacy-statement.ts';
import { buildExport, describeSizeClass, exportLedger, folderInfluence, openLedger, planGeneration, studioHome, usefulSpendRange, type DatasetInfo, type FolderInfluence, type Ledger } from '../ledger/index.ts';
import { LEDGER_FILE_NAME } from '../paths.ts';
import { isWithin } from '../ledger/location.ts';
import {
  ACCELERATORS,
  currentProviderEnvironment,
  ModelHost,
  readPublicRetrieval,
  retrievalRange,
  unavailableReason,
  verifyModelSet,
  type Manifest,
  type ModelChannelSpawn,
  type ModelService,
  type PublicRetrievalSet,
} from '../models/index.ts';
import {
  compareDatasets,
  GENERATION_DEFAULTS,
  StudioError,
  type BudgetSummary,
  type DatasetSummary,
  type GenerationRecord,
  type GenerationResult,
  type HandlerContext,
  type StudioEvent,
  type StudioHandlers,
  type StudioInfo,
} from '../contract/contract.ts';
import { runEvaluation } from '../evaluation/run.ts';
import { describeOverlap, toStudioError, type ErrorScope } from './errors.ts';
import { Generator, generationsRoot, toGeneratedImage, type GenerationOutcome, type GenerationSpec, type ModelSetIdentity } from '../generation/generator.ts';
import { HISTORY_FILE, HistoryStore, type StoredGeneration } from '../generation/history.ts';
import { JobRegistry } from './jobs.ts';
import { plannedSpend, resolveQuery } from '../generation/parameters.ts';
import { KeyedSerialQueue } from './serial-queue.ts';
import { readSettings, writeSettings, type Settings } from './settings.ts';

export const DEMO_DATASET_NAME = 'Demo';
export const DEMO_EPSILON_CAP = 10;

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

const STUDIO_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const FILE_SEGMENT = /^[A-Za-z0-9_-]{1,64}(\.png)?$/;

function budgetOf(info: DatasetInfo): BudgetSummary {
  return {
    epsilonCap: info.epsilonCap,
    delta: info.delta,
    spentEpsilon: info.cumulativeEpsilon,
    remainingEpsilon: info.remainingEpsilon,
    queries: info.charges,
    locked: info.locked,
    ...(info.lockedReason ? { lockedReason: info.lockedReason } : {}),
  };
}

export async function createStudioService(options: StudioServiceOptions = {}): Promise<StudioService> {
  const home = resolve(options.home ?? studioHome());
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const modelDir = resolve(options.modelDir ?? defaultModelDir());
  const verified = await verifyModelSet(modelDir);
  const manifest: Manifest = verified.manifest;
  const defaultLambda = manifest.retrieval.lambda ?? GENERATION_DEFAULTS.lambda;
  const range = retrievalRange(manifest);
  const modelSet: ModelSetIdentity = {
    name: manifest.name,
    version: manifest.version,
    sha256: createHash('sha256').update(readFileSync(join(modelDir, 'manifest.json'))).digest('hex'),
  };
  let settings: Settings = readSettings(home);
  const registeredFolders = () => listDatasets({ home }).map((d) => d.folder);
  const ledger: Ledger = openLedger(join(home, LEDGER_FILE_NAME), { forbiddenRoots: registeredFolders() });
  const history = new HistoryStore(join(home, HISTORY_FILE));
  const listeners = new Set<(event: StudioEvent) => void>();
  const emit = (event: StudioEvent) => {
    for (const listener of listeners) listener(event);
  };
  const jobs = new JobRegistry();
  const queue = new KeyedSerialQueue();

  // ── models: started on first use, restarted when the execution provider changes ──────────────────────────
  let modelsPromise: Promise<ModelService> | undefined = options.models ? Promise.resolve(options.models) : undefined;
  const ownsModels = !options.models;
  const models = () => (modelsPromise ??= ModelHost.start(modelDir, { provider: settings.executionProvider }, options.modelSpawn));
  let publicSetPromise: Promise<PublicRetrievalSet> | undefined;
  const publicSet = () => (publicSetPromise ??= readPublicRetrieval(verified));
  // Indexing also measures how familiar a folder is to the model set (for the curator's Datasets screen only).
  const indexingEmbedder = async () => embedderFromModelService(await models(), await publicSet());

  // ── private stores: loaded after a charge, kept while the member set is unchanged ───────────────────────────
  const stores = new Map<string, PrivateStore>();
  const privateStore = (datasetId: string): PrivateStore => {
    const fingerprint = ledger.getDataset(datasetId).fingerprint;
    const cached = stores.get(datasetId);
    if (cached && cached.fingerprint === fingerprint) return cached;
    const store = loadPrivateStore(datasetId, { home, ledger });
    stores.set(datasetId, store);
    return store;
  };

  const generator = new Generator({ home, ledger, history, models, publicSet, modelSet, studioVersion: STUDIO_VERSION, emit, privateStore });

  // ── helpers ────────────────────────────────────────────────────────────────────────────────────────────────
  const findIndexed = (datasetId: string): IndexedDataset | undefined => listDatasets({ home }).find((d) => d.datasetId === datasetId);
  const indexed = (datasetId: string): IndexedDataset => {
    const found = findIndexed(datasetId);
    if (!found) throw new StudioError('NOT_FOUND', `no dataset ${datasetId}; see the dataset list`);
    return found;
  };
  /**
   * Before any private query's charge: the dataset is still indexed, has images, and its index holds exactly the
   * members the ledger accounts for (compared by the public fingerprint over content hashes; no embedding is read).
   * The ledger outlives a removed or emptied index, and charging only to fail loading it would spend budget for nothing.
   */
  const requireIndexedAsAccounted = (datasetId: string): void => {
    const current = indexed(datasetId);
    if (current.members === 0) {
      throw new StudioError('INVALID_REQUEST', 'this dataset has no images left in its folder; add images and sync it, or generate public-only (nothing was charged)');
    }
    if (current.fingerprint !== ledger.getDataset(datasetId).fingerprint) {
      throw new StudioError('INVALID_REQUEST', `the index of ${datasetId} and its privacy ledger disagree on which images it holds; sync the dataset first (nothing was charged)`);
    }
  };
  // A dataset's plan (filter, k, q, size class) never changes, so neither does the influence at its planned spend:
  // one planner search per plan, not one per listing (datasets.list runs after every generation).
  const plannedInfluence = new Map<string, FolderInfluence>();
  const influenceAtPlannedSpend = (info: DatasetInfo): FolderInfluence => {
    const key = `${info.id}:${info.filter.order}:${info.filter.epsilonCap}:${info.filter.delta}:${info.sizeClass.lower}:${info.k}:${info.q}:${info.plannedGenerations}`;
    let influence = plannedInfluence.get(key);
    if (influence === undefined) {
      influence = planGeneration(info, plannedSpend(info), range)?.influence ?? 'weak';
      plannedInfluence.set(key, influence);
    }
    return influence;
  };
  const summary = (d: IndexedDataset): DatasetSummary => {
    const info = ledger.getDataset(d.datasetId);
    return {
      id: d.datasetId,
      name: d.name,
      imageCount: d.members,
      quarantinedCount: d.filesQuarantined,
      duplicateCount: d.duplicateFiles,
      modelSet: d.modelSet,
      createdAt: d.createdAt,
      defaults: { k: info.k, q: info.q, delta: info.delta, order: info.filter.order, sizeClass: info.sizeClass, plannedGenerations: info.plannedGenerations, epsilon: plannedSpend(info), lambda: defaultLambda, influence: influenceAtPlannedSpend(info) },
      budget: budgetOf(info),
      spendRange: usefulSpendRange({ filter: info.filter, k: info.k, q: info.q, spentRdp: info.spentRdp }, range) ?? null,
    };
  };
  const datasetName = (datasetId: string) => findIndexed(datasetId)?.name;
  const resolveDatasetRef = (ref: string): string => {
    const all = listDatasets({ home });
    if (all.some((d) => d.datasetId === ref)) return ref;
    const byName = all.filter((d) => d.name.toLowerCase() === ref.toLowerCase());
    if (byName.length === 1) return byName[0]!.datasetId;
    if (byName.length > 1) throw new StudioError('INVALID_REQUEST', `several datasets are named "${ref}"; use the id`);
    throw new StudioError('NOT_FOUND', `no dataset "${ref}"; see \`dprdm dataset list\``);
  };
  /** Runs a handler, mapping errors for its scope. */
  const guarded = async <T>(scope: ErrorScope, body: () => Promise<T>): Promise<T> => {
    try {
      return await body();
    } catch (error) {
      throw toStudioError(error, scope);
    }
  };
  const record = (g: StoredGeneration): GenerationRecord => ({
    generationId: g.generationId,
    datasetId: g.datasetId,
    prompt: g.prompt,
    createdAt: g.createdAt,
    publicOnly: g.publicOnly,
    receiptId: g.privacy?.receiptId ?? null,
    parameters: { sigma: g.sigma, k: g.k, q: g.q, lambda: g.lambda, epsilonCost: g.epsilonCharged, influence: g.sigma === null ? null : folderInfluence(g.sigma, range) },
    images: history.images(g.generationId).map(toGeneratedImage),
    conditionHeld: generator.holds(g.generationId),
    cancelled: g.cancelled,
  });
  const result = (o: GenerationOutcome): GenerationResult => {
    // A new query reports the ledger as its own charge left it (a later generation of the same dataset may already
    // have been charged by now); a free re-render reports the ledger as it stands.
    const info = o.receipt ?? (o.generation.datasetId && !o.generation.publicOnly ? ledger.getDataset(o.generation.datasetId) : undefined);
    return {
      ...record(o.generation),
      images: o.images.map(toGeneratedImage),
      cumulativeEpsilon: info?.cumulativeEpsilon ?? null,
      remainingEpsilon: info?.remainingEpsilon ?? null,
      cancelled: o.cancelled,
      chargeSpent: o.receipt !== undefined,
    };
  };
  /** A job: registered at once (so a queued job can be cancelled), run in its dataset's queue. */
  const runJob = async (key: string, requestedJobId: string | undefined, ctx: HandlerContext, body: (jobId: string, signal: AbortSignal) => Promise<GenerationOutcome>): Promise<GenerationResult> => {
    const job = jobs.start(requestedJobId ?? randomUUID(), ctx.signal);
    let outcome: 'done' | 'cancelled' | 'failed' = 'failed';
    const queuedCancel = () => new StudioError('CANCELLED', 'cancelled while waiting in the queue; nothing was charged');
    try {
      let started = false;
      const queued = queue.run(key, () => {
        if (job.signal.aborted) throw queuedCancel();
        started = true;
        return body(job.jobId, job.signal);
      });
      // A job cancelled while it waits behind another ends now, not when its predecessor finishes; its turn in the
      // queue then does nothing.
      const o = await new Promise<GenerationOutcome>((resolveJob, rejectJob) => {
        queued.then(resolveJob, rejectJob);
        const onAbort = () => {
          if (!started) rejectJob(queuedCancel());
        };
        if (job.signal.aborted) onAbort();
        else job.signal.addEventListener('abort', onAbort, { once: true });
      });
      outcome = o.cancelled ? 'cancelled' : 'done';
      return result(o);
    } catch (error) {
      const mapped = toStudioError(error, 'generation');
      if (mapped.code === 'CANCELLED') outcome = 'cancelled';
      throw mapped;
    } finally {
      job.finish();
      emit({ type: 'job-end', jobId: job.jobId, outcome });
    }
  };
  const specFor = (datasetId: string | null, r: { prompt: string; publicOnly: boolean; epsilon?: number | undefined; sigma?: number | undefined; k?: number | undefined; q?: number | undefined; lambda?: number | undefined; images: number; guidance: number; steps: number; seeds?: number[] | undefined }): GenerationSpec => {
    const lambda = r.lambda ?? defaultLambda;
    const render = { images: r.images, guidance: r.guidance, steps: r.steps, seeds: r.seeds };
    if (r.publicOnly || datasetId === null) {
      // Public-only generations are filed under their dataset when there is one (history), else under none.
      const known = datasetId !== null && listDatasets({ home }).some((d) => d.datasetId === datasetId);
      return { prompt: r.prompt, lambda, render, source: { kind: 'public', datasetId: known ? datasetId : null, k: r.k ?? manifest.retrieval.k } };
    }
    requireIndexedAsAccounted(datasetId);
    const info = ledger.getDataset(datasetId);
    const query = resolveQuery(r, info, range);
    return { prompt: r.prompt, lambda, render, source: { kind: 'private', datasetId, k: query.k, q: query.q, sigma: query.sigma } };
  };
  const exportsRoot = join(home, 'exports');
  const exportFolder = (requested: string | undefined): string => {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const folder = requested === undefined ? join(exportsRoot, `${stamp}-${randomUUID().slice(0, 8)}`) : isAbsolute(requested) ? resolve(requested) : resolve(exportsRoot, requested);
    const real = (p: string) => {
      // The nearest existing ancestor's real path: a symlink cannot smuggle the export into a private folder.
      let at = p;
      while (!existsSync(at)) at = resolve(at, '..');
      return join(realpathSync(at), p.slice(at.length));
    };
    const target = real(folder);
    if (!options.exportAnywhere && !isWithin(real(exportsRoot + '/'), target)) {
      throw new StudioError('INVALID_REQUEST', `exports are written inside the studio's exports folder (${exportsRoot}); give a name, not a path elsewhere`);
    }
    for (const root of registeredFolders()) {
      if (isWithin(real(root), target) || isWithin(target, real(root))) throw new StudioError('INVALID_REQUEST', 'an export cannot be written inside (or around) a private image folder; choose another folder');
    }
    if (existsSync(target)) throw new StudioError('INVALID_REQUEST', `the export folder ${folder} already exists; choose a new name`);
    return target;
  };

  const handlers: StudioHandlers = {
    'studio.info': async (): Promise<StudioInfo> => {
      const env = await currentProviderEnvironment();
      return {
        version: STUDIO_VERSION,
        modelSet: { name: manifest.name, version: manifest.version, embeddingDim: manifest.embedding.dim, k: manifest.retrieval.k, examplePrompts: manifest.examplePrompts },
        dataDirectory: home,
        executionProviders: [
          { name: 'cpu', available: true },
          ...ACCELERATORS.map((name) => {
            const note = unavailableReason(name, env);
            return { name, available: note === undefined, ...(note ? { note } : {}) };
          }),
        ],
      };
    },
    'datasets.list': () => guarded('curator', async () => listDatasets({ home }).map(summary).sort(compareDatasets)),
    'datasets.show': (r) =>
      guarded('curator', async () => {
        const d = showDataset(r.datasetId, { home });
        return {
          ...summary(d),
          folder: d.folder,
          quarantined: d.quarantined.map((q) => ({ path: q.path, reason: q.reason })),
          duplicates: d.duplicates.flatMap((g) => g.paths.slice(1).map((path) => ({ path, duplicateOf: g.paths[0]! }))),
          familiarity: d.familiarity ?? null,
        };
      }),
    'datasets.add': (r, ctx) =>
      guarded('curator', async () => {
        const job = jobs.start(r.jobId ?? randomUUID(), ctx.signal);
        try {
          const report = await queue.run(`add:${resolve(r.folder)}`, async () =>
            addDataset({
              folder: r.folder,
              ...(r.name ? { name: r.name } : {}),
              ...(r.epsilonCap ? { epsilonCap: r.epsilonCap } : {}),
              ...(r.sizeClass ? { sizeClass: r.sizeClass } : {}),
              ...(r.plannedGenerations ? { plannedGenerations: r.plannedGenerations } : {}),
              home,
              ledger,
              embedder: await indexingEmbedder(),
              signal: job.signal,
              onProgress: (p) => emit({ type: 'progress', jobId: job.jobId, task: 'index', phase: p.phase, done: p.filesDone, total: p.filesTotal, ratePerSecond: p.ratePerSecond, ...(p.etaSeconds !== undefined ? { etaSeconds: p.etaSeconds } : {}) }),
            }),
          );
          emit({ type: 'job-end', jobId: job.jobId, outcome: 'done' });
          return summary(indexed(report.datasetId));
        } catch (error) {
          emit({ type: 'job-end', jobId: job.jobId, outcome: job.signal.aborted ? 'cancelled' : 'failed' });
          throw describeOverlap(error, datasetName);
        } finally {
          job.finish();
        }
      }),
    'datasets.sync': (r, ctx) =>
      guarded('curator', async () => {
        const job = jobs.start(r.jobId ?? randomUUID(), ctx.signal);
        try {
          await queue.run(r.datasetId, async () =>
            syncDataset(r.datasetId, {
              home,
              ledger,
              embedder: await indexingEmbedder(),
              signal: job.signal,
              onProgress: (p) => emit({ type: 'progress', jobId: job.jobId, task: 'index', phase: p.phase, done: p.filesDone, total: p.filesTotal, ratePerSecond: p.ratePerSecond, ...(p.etaSeconds !== undefined ? { etaSeconds: p.etaSeconds } : {}) }),
            }),
          );
          stores.delete(r.datasetId);
          emit({ type: 'job-end', jobId: job.jobId, outcome: 'done' });
          return summary(indexed(r.datasetId));
        } catch (error) {
          emit({ type: 'job-end', jobId: job.jobId, outcome: job.signal.aborted ? 'cancelled' : 'failed' });
          throw describeOverlap(error, datasetName);
        } finally {
          job.finish();
        }
      }),
    'datasets.remove': (r) =>
      guarded('curator', async () => {
        // In the dataset's queue: never while one of its generations or syncs runs.
        await queue.run(r.datasetId, async () => removeDataset(r.datasetId, { home }));
        stores.delete(r.datasetId);
        return { removed: true as const };
      }),
    'prompt.check': (r) =>
      guarded('generation', async () => {
        const m = await models();
        const text = r.prompt.trim() === '' ? undefined : await m.embedTexts([r.prompt]);
        const tokens = text?.tokens[0];
        const kept = tokens ? tokens.words.slice(0, tokens.words.length - tokens.truncatedWords.length) : [];
        return { tokens: kept.length, knownTokens: kept.filter((w) => !(tokens?.unknownWords ?? []).includes(w)).length, unknownWords: tokens?.unknownWords ?? [] };
      }),
    'generate.preview': (r) =>
      guarded('generation', async () => {
        const info = ledger.getDataset(r.datasetId);
        const query = resolveQuery(r, info, range);
        const p = ledger.preview(r.datasetId, { q: query.q, sigma: query.sigma, k: query.k });
        return {
          sigma: query.sigma,
          noiseMultiplier: (query.sigma * query.k) / 2,
          signalToNoise: query.signalToNoise,
          influence: query.influence,
          k: query.k,
          q: query.q,
          delta: p.delta,
          epsilonCost: p.epsilonCost,
          standaloneEpsilon: p.standaloneEpsilon,
          order: p.order,
          cumulativeEpsilonAfter: p.cumulativeEpsilonAfter,
          remainingEpsilonAfter: p.remainingEpsilonAfter,
          generationsThatFit: p.identicalQueriesThatFit,
          admissible: p.admissible,
          warnings: [...query.warnings, ...(p.locked ? ['This dataset’s ledger is locked; verify it on the Budget screen.'] : [])],
        };
      }),
    'generate.run': (r, ctx) =>
      runJob(r.publicOnly ? `public:${r.jobId ?? randomUUID()}` : r.datasetId, r.jobId, ctx, (jobId, signal) => generator.generate(specFor(r.datasetId, r), jobId, signal)),
    'generate.cancel': async (r) => ({ cancelled: jobs.cancel(r.jobId) }),
    'generate.rerender': (r, ctx) => {
      const base = history.generation(r.generationId);
      if (!base) return Promise.reject(new StudioError('NOT_FOUND', `no generation ${r.generationId}`));
      const previous = history.images(r.generationId);
      const render = {
        images: r.seeds?.length ?? Math.max(1, previous.length),
        guidance: r.guidance ?? previous[0]?.guidance ?? 3,
        steps: r.steps ?? previous[0]?.steps ?? manifest.decoder.sampler.defaultSteps,
        seeds: r.seeds,
      };
      const key = base.publicOnly || base.datasetId === null ? `public:${base.generationId}` : base.datasetId;
      return runJob(key, r.jobId, ctx, (jobId, signal) => {
        if (generator.holds(base.generationId)) return generator.rerender(base.generationId, render, jobId, signal);
        // The condition is gone (a restart): a public one is recomputed for free; a private one is a new query.
        const source = base.publicOnly || base.sigma === null || base.q === null || base.datasetId === null ? { kind: 'public' as const, datasetId: base.datasetId, k: base.k } : { kind: 'private' as const, datasetId: base.datasetId, k: base.k, q: base.q, sigma: base.sigma };
        if (source.kind === 'private') requireIndexedAsAccounted(source.datasetId);
        return generator.generate({ prompt: base.prompt, lambda: base.lambda, render, source }, jobId, signal);
      });
    },
    'history.list': (r) => guarded('generation', async () => history.generations(r.datasetId).map(record)),
    'export.images': (r) =>
      guarded('generation', async () => {
        const size = manifest.decoder.imageSize;
        const items: ExportItem[] = r.imageIds.map((imageId) => {
          const image = history.image(imageId);
          const generation = image && history.generation(image.generationId);
          if (!image || !generation) throw new StudioError('NOT_FOUND', `no image ${imageId}`);
          return { source: join(generationsRoot(home), generation.generationId, image.file), provenance: generator.provenanceOf(generation, image, size) };
        });
        const folder = exportFolder(r.folder);
        const datasetIds = [...new Set(items.flatMap((item) => (item.provenance.privacy.mode === 'private' ? [item.provenance.privacy.datasetId] : [])))];
        const collections = datasetIds.map((datasetId) => {
          const info = ledger.getDataset(datasetId);
          return {
            datasetId,
            epsilonCap: info.epsilonCap,
            delta: info.delta,
            spentEpsilon: info.cumulativeEpsilon,
            queries: info.charges,
            order: info.filter.order,
            sizeClass: describeSizeClass(info.sizeClass),
            q: info.q,
            k: info.k,
            legacyCharges: info.filterFromSeq - 1,
            head: ledger.head(datasetId),
          };
        });
        const files = writeExportFolder(
          folder,
          items,
          (written) =>
            privacyStatement({
              collections,
              images: written.map((f) => {
                const p = f.provenance.privacy;
                return p.mode === 'private'
                  ? { file: f.file, mode: 'private' as const, datasetId: p.datasetId, epsilonCost: p.epsilonCost, receiptId: p.receiptId }
                  : { file: f.file, mode: 'public-only' as const, datasetId: null, epsilonCost: 0, receiptId: null };
              }),
            }),
          collections.map((c) => ({ datasetId: c.datasetId, ...c.head })),
        );
        return { folder, files: [...files.map((f) => f.file), 'manifest.json', 'manifest.csv', 'PRIVACY.md'] };
      }),
    'ledger.show': (r) =>
      guarded('curator', async () => ({
        datasetId: r.datasetId,
        budget: budgetOf(ledger.getDataset(r.datasetId)),
        entries: ledger.charges(r.datasetId).map((c) => ({
          receiptId: c.receiptId,
          time: c.createdAt,
          kind: c.kind,
          purpose: c.purpose,
          q: c.q,
          sigma: c.sigma,
          k: c.k,
          lambda: c.lambda,
          epsilonCost: c.epsilonCost,
          cumulativeEpsilon: c.cumulativeEpsilon,
        })),
      })),
    'ledger.verify': (r) =>
      guarded('curator', async () => {
        const report = ledger.verify(r.datasetId);
        return { ok: report.ok, checkedRows: report.charges, ...(report.firstBadRow ? { problem: report.firstBadRow.problem } : {}) };
      }),
    'ledger.export': (r) =>
      guarded('curator', async () => ({
        format: r.format,
        fileName: `ledger-${r.datasetId}.${r.format}`,
        content: exportLedger(ledger, r.datasetId, r.format),
        statement: buildExport(ledger, r.datasetId).statement,
      })),
    'evaluate.run': (r, ctx) =>
      guarded('generation', async () => {
        // In the dataset's queue: no generation can spend budget between the evaluation's plan and its charges.
        const d = indexed(r.datasetId);
        const job = jobs.start(r.jobId ?? randomUUID(), ctx.signal);
        let outcome: 'done' | 'cancelled' | 'failed' = 'failed';
        try {
          const deps = { home, ledger, modelDir, manifest, modelSet, studioVersion: STUDIO_VERSION, models, publicSet, provider: settings.executionProvider, datasetName: d.name, datasetFolder: d.folder, emit };
          const report = await queue.run(r.datasetId, () => runEvaluation(deps, r, job.jobId, job.signal));
          outcome = 'done';
          return report;
        } catch (error) {
          if (job.signal.aborted) outcome = 'cancelled';
          throw error;
        } finally {
          job.finish();
          emit({ type: 'job-end', jobId: job.jobId, outcome });
        }
      }),
    'settings.get': async () => ({ executionProvider: settings.executionProvider, dataDirectory: home }),
    'settings.set': async (r) => {
      if (r.executionProvider && r.executionProvider !== settings.executionProvider) {
        settings = { ...settings, executionProvider: r.executionProvider };
        writeSettings(home, settings);
        if (ownsModels && modelsPromise) {
          // The next model call starts a host on the new provider; the old one finishes what it is doing.
          const old = modelsPromise;
          modelsPromise = undefined;
          void old.then((m) => m.close()).catch(() => undefined);
        }
      }
      return { executionProvider: settings.executionProvider, dataDirectory: home };
    },
  };

  return {
    home,
    handlers,
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    resolveFile(segments) {
      if (segments.length !== 2 || !segments.every((s) => FILE_SEGMENT.test(s)) || !segments[0]!.startsWith('gen_') || !segments[1]!.endsWith('.png')) return undefined;
      const file = join(generationsRoot(home), segments[0]!, segments[1]!);
      return existsSync(file) ? file : undefined;
    },
    async ensureDemoDataset(onProgress, demoOptions = {}) {
      if (settings.demoCreated && !demoOptions.evenIfRemoved) return;
      const folder = join(modelDir, 'demo-private');
      const exists = listDatasets({ home }).some((d) => d.name === DEMO_DATASET_NAME || resolve(d.folder) === folder);
      if (!exists && existsSync(folder)) {
        await queue.run(`add:${folder}`, async () =>
          addDataset({ folder, name: DEMO_DATASET_NAME, epsilonCap: DEMO_EPSILON_CAP, home, ledger, embedder: await indexingEmbedder(), ...(onProgress ? { onProgress } : {}) }),
        );
      }
      settings = { ...settings, demoCreated: true };
      writeSettings(home, settings);
    },
    resolveDatasetRef,
    checkExportFolder: (folder) => exportFolder(folder),
    async close() {
      if (ownsModels && modelsPromise) await (await modelsPromise.catch(() => undefined))?.close();
      history.close();
      ledger.close();
    },
  };
}
