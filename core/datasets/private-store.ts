/**
 * What the private path reads from an index (docs/design.md §3, §5): the members' rows, released only when the
 * member set is exactly the one the ledger accounts for.
 */
import os from 'node:os';
import { membershipFingerprint } from '../ledger/index.ts';
import type { EmbeddingMatrix, EmbeddingRows } from '../privacy/index.ts';
import { DatasetIndexCorruptError } from './errors.ts';
import { openIndex, type ServiceOptions } from './service.ts';
import { StoredRows } from './stored-rows.ts';

/**
 * A store whose file is at most this large is also read whole into memory, in the background after it opens (the
 * first queries read their rows by range meanwhile); a larger one stays on disk and each query reads the rows it
 * scores, about 1–2 µs per row here (bench:scale). An eighth of the machine's memory, at most 3 GiB: on 24 GiB, a
 * 10 M × 64 or 2 M × 512 float16 store is held whole; on 8 GiB, stores up to 1 GiB.
 */
export function residentLimitBytes(totalMemory: number = os.totalmem()): number {
  return Math.min(3 * 2 ** 30, Math.floor(totalMemory / 8));
}

/** For the curator's own tools (never the generation path): the members' embeddings decoded to float32. */
export function loadEmbeddingMatrix(datasetId: string, options: ServiceOptions = {}): EmbeddingMatrix {
  const store = openIndex(datasetId, options);
  try {
    const { data, rows, dim } = store.loadMatrix();
    return { data, rows, dim };
  } finally {
    store.close();
  }
}

export interface PrivateStore {
  readonly rows: EmbeddingRows | EmbeddingMatrix;
  /** The member fingerprint, checked equal to the ledger's: the ledger accounts for exactly these rows. */
  readonly fingerprint: string;
  readonly modelSet: string;
  /** Releases the embedding file (stores held only in memory have nothing to release). */
  close?(): void;
}

/** The member fingerprint the ledger accounts for (`Ledger.getDataset(id).fingerprint`, read after the charge). */
export interface AccountedOptions extends ServiceOptions {
  readonly accountedFingerprint: string;
  /** Overrides residentLimitBytes() (tests and benches). */
  readonly residentLimitBytes?: number;
}

/**
 * What the generation path reads: the members' rows, refused unless the index's member digest is exactly the
 * fingerprint the ledger accounts for (so a half-finished sync can never release rows the ledger does not know).
 * Reads the member digest and row list the index keeps (IndexStore.memberRows), not every member hash: opening a
 * store of 10 M rows reads 40 MB. Carries no names.
 */
export function loadPrivateStore(datasetId: string, options: AccountedOptions): PrivateStore & { readonly rows: StoredRows } {
  const store = openIndex(datasetId, options);
  try {
    const members = store.memberRows();
    refuseUnaccounted(datasetId, members.count, members.fingerprint, options.accountedFingerprint);
    const rows = StoredRows.open(store.embeddingsPath, store.dim, store.precision, members, store.storedRows, { residentLimitBytes: options.residentLimitBytes ?? residentLimitBytes() });
    return { rows, fingerprint: members.fingerprint, modelSet: store.getMeta('model_set'), close: () => rows.close() };
  } finally {
    store.close();
  }
}

/**
 * For the curator's own utility evaluation only (never the generation path): the members' embeddings decoded to
 * float32 plus, per row, the paths (inside the dataset folder) of the files holding that image, so held-out rows can
 * be matched to the curator's captions. These names never leave the evaluation's process.
 */
export function loadEvaluationStore(datasetId: string, options: AccountedOptions): { readonly matrix: EmbeddingMatrix; readonly fingerprint: string; readonly modelSet: string; readonly rowNames: readonly (readonly string[])[] } {
  const store = openIndex(datasetId, options);
  try {
    const { data, rows, dim, hashes } = store.loadMatrix();
    const fingerprint = membershipFingerprint([...hashes].sort());
    refuseUnaccounted(datasetId, rows, fingerprint, options.accountedFingerprint);
    return { matrix: { data, rows, dim }, fingerprint, modelSet: store.getMeta('model_set'), rowNames: hashes.map((h) => store.namesForHash(h)) };
  } finally {
    store.close();
  }
}

function refuseUnaccounted(datasetId: string, rows: number, fingerprint: string, accounted: string): void {
  if (rows === 0 || accounted !== fingerprint) {
    throw new DatasetIndexCorruptError(
      rows === 0
        ? `dataset ${datasetId} has no indexed image`
        : `the index of ${datasetId} and the privacy ledger disagree on which images it holds; sync the dataset (dprdm dataset sync ${datasetId})`,
    );
  }
}
