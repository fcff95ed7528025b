/**
 * The dataset service: add, sync, list, show, remove, import — and the one loader the private path uses.
 *
 * Where things live: `<studioHome>/datasets/<datasetId>/` (index.sqlite, embeddings.f32, browse.usearch); a first
 * `add` builds in `<studioHome>/datasets/.staging/<token>/` and is moved into place once the ledger has given the
 * dataset its id (identity = the sorted member hashes, so re-adding the same images resumes their spend).
 *
 * Privacy hygiene: file names and paths stay in the index (shown to the curator, who owns the folder). The ledger
 * receives only content hashes, counts, the cap and δ; `loadPrivateStore` returns only the matrix and hashes'
 * fingerprint.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isWithin } from '../confinement.ts';
import { DEFAULT_PLANNED_GENERATIONS, deltaForSizeClass, membershipFingerprint, planDatasetK, sizeClassOf, type DatasetInfo, type Ledger, type RetrievalRange, type SizeClass } from '../ledger/index.ts';
import { homeLayout, studioHome } from '../paths.ts';
import type { StorePrecision } from '../privacy/index.ts';
import { buildBrowseIndex, searchBrowseIndex } from './browse.ts';
import { folderFamiliarity, type FamiliarityReference, type FolderFamiliarity } from './familiarity.ts';
import { DatasetEmptyError, DatasetIndexNotFoundError, DatasetInputError } from './errors.ts';
import { indexFolder, type IndexCounts, type IndexRunOptions, type IndexRunReport, type StageTimings } from './indexer.ts';
import { IndexStore, type DatasetKind } from './store.ts';

export const DEFAULT_EPSILON_CAP = 10;
export const DATASET_ID = /^ds_[0-9a-f]{16}$/;
export const STAGING = '.staging';

export interface ServiceOptions {
  /** The studio's home (default studioHome(), which honours DPRDM_HOME). */
  readonly home?: string;
}

export interface LedgerOptions extends ServiceOptions {
  readonly ledger: Ledger;
}

export type RunOptions = Omit<IndexRunOptions, 'excludedPaths'> & LedgerOptions;

/** What the ledger fixes when a dataset is created (public numbers the curator confirms; see ledger/size-class.ts). */
export interface DatasetPlanOptions {
  readonly epsilonCap?: number;
  /** Default: the class of the indexed size. */
  readonly sizeClass?: SizeClass;
  /** Neighbours per query (the model set's k). */
  readonly k?: number;
  readonly plannedGenerations?: number;
  /** At most the class's δ (default: the class's δ). */
  readonly delta?: number;
}

export interface AddDatasetOptions extends RunOptions, DatasetPlanOptions {
  readonly folder: string;
  /** Shown in the ledger; never derived from the folder's path. Default "Private images <date>". */
  readonly name?: string;
  /** The private store's precision; default the embedder's (its model set's). */
  readonly precision?: StorePrecision;
}

/** A new dataset's k: the one asked for, else the planner's choice among the k the model set was trained with. */
function plannedK(memberCount: number, options: DatasetPlanOptions, range: RetrievalRange | undefined): number | undefined {
  if (options.k !== undefined || range === undefined) return options.k;
  const sizeClass = options.sizeClass ?? sizeClassOf(memberCount);
  return planDatasetK(
    {
      sizeClass,
      epsilonCap: options.epsilonCap ?? DEFAULT_EPSILON_CAP,
      delta: options.delta ?? deltaForSizeClass(sizeClass),
      plannedGenerations: options.plannedGenerations ?? DEFAULT_PLANNED_GENERATIONS,
    },
    range,
  )?.k;
}

export function planOf(options: DatasetPlanOptions): Pick<DatasetPlanOptions, 'sizeClass' | 'k' | 'plannedGenerations' | 'delta'> {
  return {
    ...(options.sizeClass ? { sizeClass: options.sizeClass } : {}),
    ...(options.k !== undefined ? { k: options.k } : {}),
    ...(options.plannedGenerations !== undefined ? { plannedGenerations: options.plannedGenerations } : {}),
    ...(options.delta !== undefined ? { delta: options.delta } : {}),
  };
}

export interface DatasetSyncReport {
  readonly datasetId: string;
  readonly name: string;
  /** False when the ledger already knew exactly these images: their past spend continues. */
  readonly created: boolean;
  readonly members: number;
  readonly fingerprint: string;
  readonly counts: IndexCounts;
  readonly timings: StageTimings;
  readonly filesIndexed: number;
  readonly filesQuarantined: number;
  /** Indexed files beyond the first of each content (exact duplicates collapse to one member). */
  readonly duplicateFiles: number;
  readonly ignoredFiles: number;
  readonly excludedFolders: number;
  readonly warnings: string[];
}

export interface IndexedDataset {
  readonly datasetId: string;
  readonly name: string;
  readonly kind: DatasetKind;
  /** The indexed folder (curator-facing only). */
  readonly folder: string;
  readonly modelSet: string;
  readonly dim: number;
  readonly members: number;
  readonly filesIndexed: number;
  readonly filesQuarantined: number;
  readonly duplicateFiles: number;
  readonly fingerprint: string;
  readonly createdAt: string;
  readonly lastSyncAt: string;
  /** From the ledger when it was given; undefined otherwise. */
  readonly budget?: { epsilonCap: number; delta: number; spentEpsilon: number; remainingEpsilon: number; charges: number; locked: boolean; ledgerFingerprint: string; inSync: boolean };
}

export interface IndexedDatasetDetails extends IndexedDataset {
  readonly quarantined: { path: string; reason: string; retried: boolean }[];
  readonly duplicates: { sha256: string; paths: string[] }[];
  readonly lastRun: unknown;
  /** For the curator's eyes: how close the images are to what the model set knows (absent until indexed with it). */
  readonly familiarity?: FolderFamiliarity;
}

// ── paths ───────────────────────────────────────────────────────────────────────────────────────────────

export function datasetsRoot(options: ServiceOptions = {}): string {
  return homeLayout(options.home ?? studioHome()).datasets;
}

export function datasetDir(datasetId: string, options: ServiceOptions = {}): string {
  if (!DATASET_ID.test(datasetId)) throw new DatasetInputError(`"${datasetId}" is not a dataset id (they look like ds_0123456789abcdef)`);
  return join(datasetsRoot(options), datasetId);
}

export function realHome(options: ServiceOptions): string {
  const home = options.home ?? studioHome();
  mkdirSync(homeLayout(home).datasets, { recursive: true, mode: 0o700 });
  return realpathSync(home);
}

function resolveFolder(folder: string): string {
  let real: string;
  try {
    real = realpathSync(resolve(folder));
  } catch {
    throw new DatasetInputError(`folder not found: ${folder}`);
  }
  if (!statSync(real).isDirectory()) throw new DatasetInputError(`not a folder: ${folder}`);
  return real;
}

export function openIndex(datasetId: string, options: ServiceOptions): IndexStore {
  const dir = datasetDir(datasetId, options);
  if (!existsSync(join(dir, 'index.sqlite'))) throw new DatasetIndexNotFoundError(datasetId);
  return IndexStore.open(dir);
}

/** One writer per dataset directory: a lock file holding the owner's pid (a dead owner's lock is taken over). */
function lockDir(dir: string): () => void {
  const file = join(dir, 'sync.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number(readFileSync(file, 'utf8'));
      if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
        throw new DatasetInputError(`another indexing run (process ${pid}) is working on this dataset; wait for it to finish`);
      }
      rmSync(file, { force: true });
    }
  }
  throw new DatasetInputError('could not lock the dataset index');
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A new index in a staging folder: created now, its dataset id filled in once the ledger has admitted it. */
export function newIndex(dir: string, meta: Omit<Parameters<typeof IndexStore.create>[1], 'createdAt' | 'datasetId'>): IndexStore {
  return IndexStore.create(dir, { ...meta, createdAt: new Date().toISOString(), datasetId: '' });
}

export function defaultName(): string {
  return `Private images ${new Date().toISOString().slice(0, 10)}`;
}

export function summaryOf(datasetId: string, store: IndexStore, ledger?: Ledger): IndexedDataset {
  const meta = store.meta();
  const { count: members, fingerprint } = store.memberDigest();
  const counts = store.fileCounts();
  let budget: IndexedDataset['budget'];
  if (ledger && DATASET_ID.test(datasetId)) {
    try {
      const info = ledger.getDataset(datasetId);
      budget = budgetOf(info, fingerprint);
    } catch {
      budget = undefined;
    }
  }
  return {
    datasetId,
    name: meta.name,
    kind: meta.kind,
    folder: meta.root,
    modelSet: meta.modelSet,
    dim: meta.dim,
    members,
    filesIndexed: counts.indexed,
    filesQuarantined: counts.quarantined,
    duplicateFiles: meta.kind === 'folder' ? counts.indexed - members : 0,
    fingerprint,
    createdAt: meta.createdAt,
    lastSyncAt: meta.lastSyncAt,
    ...(budget ? { budget } : {}),
  };
}

function budgetOf(info: DatasetInfo, fingerprint: string): NonNullable<IndexedDataset['budget']> {
  return {
    epsilonCap: info.epsilonCap,
    delta: info.delta,
    spentEpsilon: info.cumulativeEpsilon,
    remainingEpsilon: info.remainingEpsilon,
    charges: info.charges,
    locked: info.locked,
    ledgerFingerprint: info.fingerprint,
    inSync: info.fingerprint === fingerprint,
  };
}

// ── add / sync ──────────────────────────────────────────────────────────────────────────────────────────

function findStaging(stagingRoot: string, root: string): string | undefined {
  if (!existsSync(stagingRoot)) return undefined;
  for (const entry of readdirSync(stagingRoot)) {
    const dir = join(stagingRoot, entry);
    try {
      const store = IndexStore.open(dir);
      try {
        if (store.getMeta('root') === root && store.getMeta('kind') === 'folder') return dir;
      } finally {
        store.close();
      }
    } catch {
      rmSync(dir, { recursive: true, force: true }); // an add that crashed before its index existed
    }
  }
  return undefined;
}

function findDatasetByRoot(options: ServiceOptions, root: string): string | undefined {
  for (const summary of listDatasets(options)) if (summary.kind === 'folder' && summary.folder === root) return summary.datasetId;
  return undefined;
}

/**
 * Indexes a folder and registers it with the ledger. A cancelled or crashed add resumes when called again for
 * the same folder. Throws DatasetEmptyError when no file could be indexed.
 */
export async function addDataset(options: AddDatasetOptions): Promise<DatasetSyncReport> {
  const root = resolveFolder(options.folder);
  const home = realHome(options);
  if (root === home) throw new DatasetInputError('the studio’s own folder cannot be indexed');
  if (isWithin(home, root)) throw new DatasetInputError('that folder is inside the studio’s own data folder; pick the folder that holds your images');
  // The ledger and the indexes never live inside a private folder (docs/design.md §6).
  if (isWithin(root, home)) throw new DatasetInputError('that folder holds the studio’s own data folder (its ledger and indexes); pick the folder that holds your images');
  const existingId = findDatasetByRoot(options, root);
  if (existingId) throw new DatasetInputError(`this folder is already indexed as ${existingId}; sync that dataset instead`);
  const name = options.name ?? defaultName();
  const epsilonCap = options.epsilonCap ?? DEFAULT_EPSILON_CAP;
  if (!(epsilonCap > 0) || !Number.isFinite(epsilonCap)) throw new DatasetInputError(`the ε cap must be a positive number, got ${epsilonCap}`);
  const embedder = options.embedder;

  const stagingRoot = join(datasetsRoot(options), STAGING);
  mkdirSync(stagingRoot, { recursive: true, mode: 0o700 });
  let dir = findStaging(stagingRoot, root);
  let store: IndexStore;
  if (dir) {
    store = IndexStore.open(dir);
    if (store.getMeta('model_set') !== embedder.modelSet) {
      store.close();
      rmSync(dir, { recursive: true, force: true });
      dir = undefined;
    }
  }
  if (!dir) {
    dir = join(stagingRoot, randomBytes(8).toString('hex'));
    store = newIndex(dir, { kind: 'folder', name, root, modelSet: embedder.modelSet, dim: embedder.dim, precision: options.precision ?? embedder.storePrecision ?? 'float32', epsilonCap, delta: options.delta ?? 0 });
  }
  store = store!;
  const unlock = lockDir(dir);
  let finalDir: string | undefined;
  try {
    const report = await indexFolder(store, root, { ...options, excludedPaths: [home] });
    const members = store.memberHashes();
    if (members.length === 0) {
      const quarantined = store.fileCounts().quarantined;
      throw new DatasetEmptyError(
        quarantined > 0
          ? `no image in ${root} could be indexed (${quarantined} files quarantined; run again after fixing them, or see the reasons with --json)`
          : `no image files found in ${root}`,
      );
    }
    const info = options.ledger.createDataset({ name: store.getMeta('name') || name, memberHashes: members, epsilonCap, ...planOf({ ...options, k: plannedK(members.length, { ...options, epsilonCap }, embedder.retrievalRange) }) });
    finalDir = datasetDir(info.id, options);
    if (existsSync(finalDir)) {
      const other = IndexStore.open(finalDir);
      const otherRoot = other.getMeta('root');
      other.close();
      throw new DatasetInputError(`exactly these images are already indexed as ${info.id} (from ${otherRoot || 'an import'}); use that dataset`);
    }
    store.transaction(() => {
      store.setMeta('dataset_id', info.id);
      store.setMeta('name', info.name);
      store.setMeta('epsilon_cap', String(info.epsilonCap));
      store.setMeta('delta', String(info.delta));
      store.setMeta('last_report', JSON.stringify(report));
    });
    refreshBrowse(store, embedder.familiarity);
    const warnings = report.counts.quarantined > 0 ? [`${report.counts.quarantined} files were quarantined; the dataset's details list them with reasons`] : [];
    if (!info.created) warnings.push(`these images were already registered in the ledger as ${info.id}: their past privacy spend continues (ε spent ${info.cumulativeEpsilon.toPrecision(4)} of ${info.epsilonCap})`);
    const result = syncReport(store, report, { datasetId: info.id, name: info.name, created: info.created, members: members.length, fingerprint: info.fingerprint, warnings });
    store.close();
    unlock();
    renameSync(dir, finalDir);
    return result;
  } catch (error) {
    store.close();
    unlock();
    if (error instanceof DatasetInputError || ['DATASET_OVERLAP', 'DATASET_HISTORY'].includes((error as { code?: string }).code ?? '')) rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

function syncReport(
  store: IndexStore,
  report: IndexRunReport,
  dataset: Pick<DatasetSyncReport, 'datasetId' | 'name' | 'created' | 'members' | 'fingerprint' | 'warnings'>,
): DatasetSyncReport {
  const counts = store.fileCounts();
  return {
    ...dataset,
    counts: report.counts,
    timings: report.timings,
    filesIndexed: counts.indexed,
    filesQuarantined: counts.quarantined,
    duplicateFiles: counts.indexed - dataset.members,
    ignoredFiles: report.ignoredFiles,
    excludedFolders: report.excludedFolders,
  };
}

/** Re-scans a folder dataset incrementally and brings the ledger's member set up to date. */
export async function syncDataset(datasetId: string, options: RunOptions): Promise<DatasetSyncReport> {
  const dir = datasetDir(datasetId, options);
  const store = openIndex(datasetId, options);
  let unlock: (() => void) | undefined;
  try {
    const meta = store.meta();
    if (meta.kind !== 'folder') throw new DatasetInputError(`${datasetId} was imported from precomputed embeddings; there is no folder to sync`);
    if (meta.modelSet !== options.embedder.modelSet) {
      throw new DatasetInputError(`${datasetId} was embedded with model set ${meta.modelSet}, not ${options.embedder.modelSet}; remove it and add the folder again to re-embed`);
    }
    let root: string;
    try {
      root = realpathSync(meta.root);
      if (!statSync(root).isDirectory()) throw new Error('not a folder');
    } catch {
      // Never treat a missing folder (an unplugged drive) as "every image deleted".
      throw new DatasetInputError(`the folder ${meta.root} cannot be found; reconnect the drive or restore the folder, then sync again`);
    }
    unlock = lockDir(dir);
    const home = realHome(options);
    const report = await indexFolder(store, root, { ...options, excludedPaths: [home] });
    const members = store.memberHashes();
    const fingerprint = membershipFingerprint(members);
    const warnings: string[] = [];
    const ledgerInfo = options.ledger.getDataset(datasetId);
    if (ledgerInfo.fingerprint !== fingerprint) {
      if (members.length === 0) {
        warnings.push('no image is left in the folder; the ledger keeps the previous member list and nothing can be generated from this dataset');
      } else {
        const before = ledgerInfo.memberCount;
        options.ledger.replaceMembers(datasetId, members, `sync: ${before} → ${members.length} images`);
      }
    }
    store.setMeta('last_report', JSON.stringify(report));
    if (report.embeddingsChanged || Number(store.getMeta('browse_version')) !== Number(store.getMeta('embeddings_version')) || (options.embedder.familiarity && !store.getMeta('familiarity'))) refreshBrowse(store, options.embedder.familiarity);
    if (report.counts.quarantined > 0) warnings.push(`${report.counts.quarantined} files were quarantined in this run; the dataset's details list them with reasons`);
    return syncReport(store, report, { datasetId, name: meta.name, created: false, members: members.length, fingerprint, warnings });
  } finally {
    store.close();
    unlock?.();
  }
}

function refreshBrowse(store: IndexStore, familiarity?: FamiliarityReference): void {
  const matrix = store.loadMatrix();
  buildBrowseIndex(store.dir, matrix.data, matrix.rows, matrix.dim);
  // rows of the browse index are positions in this member matrix; compaction keeps them equal to stored rows
  store.setMeta('browse_version', store.getMeta('embeddings_version'));
  if (familiarity) {
    const f = folderFamiliarity(matrix.data, matrix.rows, matrix.dim, familiarity);
    store.setMeta('familiarity', f ? JSON.stringify(f) : '');
  }
}

// ── list / show / remove ────────────────────────────────────────────────────────────────────────────────

export function listDatasets(options: ServiceOptions & { ledger?: Ledger } = {}): IndexedDataset[] {
  const root = datasetsRoot(options);
  if (!existsSync(root)) return [];
  const out: IndexedDataset[] = [];
  for (const entry of readdirSync(root).sort()) {
    if (!DATASET_ID.test(entry) || !existsSync(join(root, entry, 'index.sqlite'))) continue;
    const store = IndexStore.open(join(root, entry));
    try {
      out.push(summaryOf(entry, store, options.ledger));
    } finally {
      store.close();
    }
  }
  return out;
}

/** One dataset's index summary (opens only its own index). */
export function readIndexedDataset(datasetId: string, options: ServiceOptions = {}): IndexedDataset {
  const store = openIndex(datasetId, options);
  try {
    return summaryOf(datasetId, store);
  } finally {
    store.close();
  }
}

export function showDataset(datasetId: string, options: ServiceOptions & { ledger?: Ledger } = {}): IndexedDatasetDetails {
  const store = openIndex(datasetId, options);
  try {
    const lastRun = store.getMeta('last_report');
    const familiarity = store.getMeta('familiarity');
    return {
      ...summaryOf(datasetId, store, options.ledger),
      ...(familiarity ? { familiarity: JSON.parse(familiarity) as FolderFamiliarity } : {}),
      quarantined: store.quarantined().map((q) => ({ path: q.path, reason: q.reason, retried: q.transient })),
      duplicates: store.duplicateGroups(),
      lastRun: lastRun ? (JSON.parse(lastRun) as unknown) : undefined,
    };
  } finally {
    store.close();
  }
}

/** Deletes the index (never the user's files) and keeps the ledger: re-adding the same images resumes their spend. */
export function removeDataset(datasetId: string, options: ServiceOptions = {}): { datasetId: string; removedIndex: string } {
  const dir = datasetDir(datasetId, options);
  if (!existsSync(join(dir, 'index.sqlite'))) throw new DatasetIndexNotFoundError(datasetId);
  const unlock = lockDir(dir);
  unlock();
  rmSync(dir, { recursive: true, force: true });
  return { datasetId, removedIndex: dir };
}

// ── curator browsing ────────────────────────────────────────────────────────────────────────────────────

export interface BrowseResult {
  readonly similarity: number;
  /** Files (or imported ids) holding the image: for the curator's own eyes only. */
  readonly names: string[];
}

/** Approximate nearest images for the curator's own browsing. Never used by, or returned to, the private path. */
export function browseDataset(datasetId: string, query: Float32Array, k: number, options: ServiceOptions = {}): BrowseResult[] {
  const store = openIndex(datasetId, options);
  try {
    if (Number(store.getMeta('browse_version')) !== Number(store.getMeta('embeddings_version'))) refreshBrowse(store);
    const { hashes, rows } = { ...store.loadMatrix() };
    const matches = searchBrowseIndex(store.dir, store.dim, query, k) ?? [];
    return matches.filter((m) => m.row < rows).map((m) => ({ similarity: m.similarity, names: store.namesForHash(hashes[m.row]!) }));
  } finally {
    store.close();
  }
}
