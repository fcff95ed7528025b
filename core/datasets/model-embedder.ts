/**
 * The real image encoder for indexing: the model set's ModelHost (onnxruntime in a worker thread), adapted to
 * the indexer's narrow ImageEmbedder interface.
 */
import { fileURLToPath } from 'node:url';
import { outsideAsar } from '../paths.ts';
import { ModelHost, retrievalRange, type Manifest, type ModelRuntimeOptions, type ModelService } from '../models/index.ts';
import type { ImageEmbedder } from './embedder.ts';

/** The embedded default model set shipped in the repository (in a packaged app: its unpacked copy). */
export function defaultModelDir(): string {
  return outsideAsar(fileURLToPath(new URL('../../native-models/looks-v1/', import.meta.url)));
}

/** Which embedding space a store's rows are in: the model set and its image encoder's hash (recorded per index). */
export function embeddingSpaceOf(manifest: Manifest): string {
  return `${manifest.name}@${manifest.version}#${manifest.files.imageEncoder.sha256.slice(0, 16)}`;
}

/**
 * Wraps a running model service (the studio shares one host between indexing and generation). With the model set's
 * public retrieval set, indexing also tells the curator how familiar the folder is to the model set.
 */
export function embedderFromModelService(service: ModelService, publicSet?: { readonly data: Float32Array; readonly count: number; readonly dim: number }): ImageEmbedder {
  const manifest = service.info.manifest;
  const warnBelow = manifest.retrieval.familiarity?.warnBelow;
  return {
    dim: manifest.embedding.dim,
    imageSpec: manifest.image,
    retrievalRange: retrievalRange(manifest),
    storePrecision: manifest.retrieval.storePrecision,
    ...(publicSet && warnBelow !== undefined ? { familiarity: { data: publicSet.data, count: publicSet.count, dim: publicSet.dim, warnBelow } } : {}),
    modelSet: embeddingSpaceOf(manifest),
    async embed(tensors) {
      const batch = await service.embedImages(tensors);
      return batch.data;
    },
  };
}

/** Starts a model host for `dir` (verifying its files) and returns an embedder that closes it. */
export async function openModelEmbedder(dir: string = defaultModelDir(), options: ModelRuntimeOptions = {}): Promise<ImageEmbedder & { close(): Promise<void> }> {
  const host = await ModelHost.start(dir, options);
  return { ...embedderFromModelService(host), close: () => host.close() };
}
