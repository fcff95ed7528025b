/**
 * What the indexer needs from a model set: the image preprocessing spec and a batched image encoder.
 * The real one (models/ ModelHost, a worker thread) is adapted in model-embedder.ts; tests of bookkeeping may
 * pass a deterministic stand-in.
 */
import type { RetrievalRange } from '../ledger/index.ts';
import type { ImageSpec } from '../models/index.ts';
import type { StorePrecision } from '../privacy/index.ts';

import type { FamiliarityReference } from './familiarity.ts';

export interface ImageEmbedder {
  /** Embedding dimension D. */
  readonly dim: number;
  /** How images are turned into encoder input (the model set's manifest `image`). */
  readonly imageSpec: ImageSpec;
  /** What the model set's decoder was trained for (the planner picks a new dataset's k from it), when known. */
  readonly retrievalRange?: RetrievalRange;
  /** The model set's public images, to tell the curator when a folder is unlike anything it knows (familiarity.ts). */
  readonly familiarity?: FamiliarityReference;
  /** The precision a new dataset's private store is kept in (the model set's; default float32). */
  readonly storePrecision?: StorePrecision;
  /** Identifies the model set (name, version, encoder hash): an index is only ever extended by the same one. */
  readonly modelSet: string;
  /** Embeds preprocessed images (each 3·S·S, NCHW); returns [count, D] row-major float32. */
  embed(tensors: readonly Float32Array[]): Promise<Float32Array>;
  close?(): Promise<void>;
}
