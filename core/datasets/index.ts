// core/datasets: private folder indexing (scan, safe decode, identity by sha256, quarantine, batched embedding,
// the float32 embedding store, browsing index, incremental sync, .npy import). See docs/design.md §2, §5, §6.
export * from './errors.ts';
export type { ImageEmbedder } from './embedder.ts';
export { DEFAULT_LIMITS, type DecodeLimits, type IngestHooks } from './ingest.ts';
export type { IndexProgress, IndexCounts, StageTimings, IndexRunOptions } from './indexer.ts';
export { DEFAULT_EXCLUDED_FOLDERS } from './scan.ts';
export { parseNpy, toNpy } from './npy.ts';
export {
  addDataset,
  syncDataset,
  listDatasets,
  showDataset,
  browseDataset,
  type BrowseResult,
  readIndexedDataset,
  DATASET_ID,
  removeDataset,
  datasetDir,
  datasetsRoot,
  DEFAULT_EPSILON_CAP,
  type AddDatasetOptions,
  type RunOptions,
  type ServiceOptions,
  type LedgerOptions,
  type DatasetSyncReport,
  type IndexedDataset,
  type IndexedDatasetDetails,
} from './service.ts';
export { importMemberHash } from './import-rows.ts';
export { importEmbeddings, type ImportOptions } from './import.ts';
export { loadEmbeddingMatrix, loadPrivateStore, loadEvaluationStore, type PrivateStore, type AccountedOptions } from './private-store.ts';
export { openModelEmbedder, embedderFromModelService, embeddingSpaceOf, defaultModelDir } from './model-embedder.ts';
export { readParquetEmbeddings, ID_COLUMNS, EMBEDDING_COLUMNS, type ParquetEmbeddings } from './parquet-import.ts';
