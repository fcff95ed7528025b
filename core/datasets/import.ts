/**
 * Embeddings computed elsewhere (an `.npy` matrix with its ids, or rows read from Parquet: ./parquet-import.ts),
 * checked (./import-rows.ts) and indexed as a dataset of kind `import`: staged, admitted by the ledger, then moved
 * into place, so a refused or failed import leaves nothing behind.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { StorePrecision } from '../privacy/index.ts';
import { DatasetInputError } from './errors.ts';
import { validateImportedRows } from './import-rows.ts';
import { parseNpy } from './npy.ts';
import { DEFAULT_EPSILON_CAP, STAGING, datasetDir, datasetsRoot, defaultName, newIndex, planOf, realHome, summaryOf, type DatasetPlanOptions, type IndexedDataset, type LedgerOptions } from './service.ts';

export interface ImportOptions extends LedgerOptions, DatasetPlanOptions {
  /** The `.npy` float32 matrix (path or bytes), one unit-norm row per image; or `matrix`, already read. */
  readonly npy?: string | Buffer;
  /** Rows read elsewhere (a Parquet file: ./parquet-import.ts), row-major; `source` names them in errors. */
  readonly matrix?: { readonly data: Float32Array; readonly rows: number; readonly cols: number; readonly source: string };
  /** One id per row: the image's sha256 (lower-case hex; then it matches a local index of the same file) or any unique name. */
  readonly ids: readonly string[];
  readonly name?: string;
  /** The model set the embeddings came from; its dimension must match. */
  readonly modelSet: string;
  readonly dim: number;
  /** The private store's precision (default float32). */
  readonly precision?: StorePrecision;
}

function readNpy(npy: string | Buffer | undefined): { matrix: { data: Float32Array; rows: number; cols: number }; source: string } {
  if (npy === undefined) throw new DatasetInputError('an import needs its embeddings: an .npy file or rows already read');
  const source = typeof npy === 'string' ? npy : '.npy data';
  let bytes: Buffer;
  try {
    bytes = typeof npy === 'string' ? readFileSync(npy) : npy;
  } catch (error) {
    throw new DatasetInputError(`cannot read ${source}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return { matrix: parseNpy(bytes, source), source };
}

export function importEmbeddings(options: ImportOptions): IndexedDataset {
  const { matrix, source } = options.matrix ? { matrix: options.matrix, source: options.matrix.source } : readNpy(options.npy);
  if (matrix.rows === 0) throw new DatasetInputError(`${source} holds no rows`);
  if (matrix.cols !== options.dim) throw new DatasetInputError(`${source} has ${matrix.cols}-dimensional rows; model set ${options.modelSet} embeds into ${options.dim}`);
  if (options.ids.length !== matrix.rows) throw new DatasetInputError(`${source} has ${matrix.rows} rows but ${options.ids.length} ids were given`);
  const { hashes, ids, data } = validateImportedRows(matrix, options.ids, options.modelSet);
  realHome(options); // creates <home>/datasets
  const stagingRoot = join(datasetsRoot(options), STAGING);
  mkdirSync(stagingRoot, { recursive: true, mode: 0o700 });
  const dir = join(stagingRoot, randomBytes(8).toString('hex'));
  const epsilonCap = options.epsilonCap ?? DEFAULT_EPSILON_CAP;
  const store = newIndex(dir, { kind: 'import', name: options.name ?? defaultName(), root: '', modelSet: options.modelSet, dim: options.dim, precision: options.precision ?? 'float32', epsilonCap, delta: options.delta ?? 0 });
  try {
    store.appendEmbeddings(hashes, data, []);
    store.recordImported(ids.map((id, i) => ({ id, sha256: hashes[i]! })));
    const members = store.memberHashes();
    const info = options.ledger.createDataset({ name: store.getMeta('name'), memberHashes: members, epsilonCap, ...planOf(options) });
    const finalDir = datasetDir(info.id, options);
    if (existsSync(finalDir)) throw new DatasetInputError(`exactly these images are already indexed as ${info.id}`);
    store.transaction(() => {
      store.setMeta('dataset_id', info.id);
      store.setMeta('name', info.name);
      store.setMeta('epsilon_cap', String(info.epsilonCap));
      store.setMeta('delta', String(info.delta));
      store.setMeta('last_sync_at', new Date().toISOString());
    });
    // The curator's browsing index is built on the first browse (browseDataset): for a cluster-sized import the
    // graph build would take minutes, and nothing else needs it.
    const summary = summaryOf(info.id, store, options.ledger);
    store.close();
    renameSync(dir, finalDir);
    return summary;
  } catch (error) {
    store.close();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
