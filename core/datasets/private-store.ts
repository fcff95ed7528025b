/**
 * What the private path reads from an index (docs/design.md §3, §5): the embedding matrix, released only when its
 * member set is exactly the one the ledger accounts for.
 */
import { membershipFingerprint } from '../ledger/index.ts';
import type { EmbeddingMatrix } from '../privacy/index.ts';
import { DatasetIndexCorruptError } from './errors.ts';
import { openIndex, type ServiceOptions } from './service.ts';
import type { IndexStore } from './store.ts';

// ── the private path's loader ───────────────────────────────────────────────────────────────────────────

/** The members' unit-norm embeddings as the private mechanism's EmbeddingMatrix (contiguous, row-major). */
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
  readonly matrix: EmbeddingMatrix;
  /** The member fingerprint, checked equal to the ledger's: the ledger accounts for exactly these rows. */
  readonly fingerprint: string;
  readonly modelSet: string;
}

/** The member fingerprint the ledger accounts for (`Ledger.getDataset(id).fingerprint`, read after the charge). */
export interface AccountedOptions extends ServiceOptions {
  readonly accountedFingerprint: string;
}

/**
 * What the generation path reads: the matrix, refused unless its member set is exactly the one the ledger
 * accounts for (so a half-finished sync can never release rows the ledger does not know). Carries no names.
 */
export function loadPrivateStore(datasetId: string, options: AccountedOptions): PrivateStore {
  const store = openIndex(datasetId, options);
  try {
    return accountedMatrix(datasetId, store, options.accountedFingerprint).privateStore;
  } finally {
    store.close();
  }
}

/**
 * For the curator's own utility evaluation only (never the generation path): the private store plus, per row, the
 * paths (inside the dataset folder) of the files holding that image, so held-out rows can be matched to the
 * curator's captions. These names never leave the evaluation's process.
 */
export function loadEvaluationStore(datasetId: string, options: AccountedOptions): PrivateStore & { readonly rowNames: readonly (readonly string[])[] } {
  const store = openIndex(datasetId, options);
  try {
    const { privateStore, hashes } = accountedMatrix(datasetId, store, options.accountedFingerprint);
    return { ...privateStore, rowNames: hashes.map((h) => store.namesForHash(h)) };
  } finally {
    store.close();
  }
}

function accountedMatrix(datasetId: string, store: IndexStore, accounted: string): { privateStore: PrivateStore; hashes: readonly string[] } {
  const { data, rows, dim, hashes } = store.loadMatrix();
  const fingerprint = membershipFingerprint([...hashes].sort());
  if (rows === 0 || accounted !== fingerprint) {
    throw new DatasetIndexCorruptError(
      rows === 0
        ? `dataset ${datasetId} has no indexed image`
        : `the index of ${datasetId} and the privacy ledger disagree on which images it holds; sync the dataset (dprdm dataset sync ${datasetId})`,
    );
  }
  return { privateStore: { matrix: { data, rows, dim }, fingerprint, modelSet: store.getMeta('model_set') }, hashes };
}
