/**
 * The curator's own browsing index ("show me images in my folder like this prompt"): a usearch HNSW graph over
 * the dataset's embeddings, keyed by stored row. It releases nothing and is NEVER used by the private
 * mechanism (an approximate, data-trained index breaks the sensitivity argument; docs/design.md §3). Searches are
 * synchronous native calls: they are kept small (one query vector, k ≤ 1000).
 */
import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Index, MetricKind, ScalarKind } from 'usearch';

export const BROWSE_FILE = 'browse.usearch';
const MAX_BROWSE_K = 1000;

function newIndex(dim: number): Index {
  return new Index({ dimensions: dim, metric: MetricKind.IP, quantization: ScalarKind.F32, connectivity: 16, expansion_add: 128, expansion_search: 64, multi: false });
}

/** Builds the HNSW index for `rows` unit vectors (row-major) and saves it atomically to `<dir>/browse.usearch`. */
export function buildBrowseIndex(dir: string, data: Float32Array, rows: number, dim: number): void {
  const file = join(dir, BROWSE_FILE);
  if (rows === 0) {
    rmSync(file, { force: true });
    return;
  }
  const index = newIndex(dim);
  const keys = new BigUint64Array(rows);
  for (let i = 0; i < rows; i++) keys[i] = BigInt(i);
  // usearch ignores a typed array's byteOffset: hand it an exact copy.
  index.add(keys, data.slice(0, rows * dim), 0);
  const temp = `${file}.tmp`;
  index.save(temp);
  renameSync(temp, file);
}

export interface BrowseMatch {
  /** Stored row of the image. */
  readonly row: number;
  /** Inner product with the query (cosine for unit vectors). */
  readonly similarity: number;
}

/** The k stored rows most similar to `query` (approximate). Undefined when no index file exists. */
export function searchBrowseIndex(dir: string, dim: number, query: Float32Array, k: number): BrowseMatch[] | undefined {
  const file = join(dir, BROWSE_FILE);
  if (!existsSync(file)) return undefined;
  if (query.length !== dim) throw new RangeError(`the query has ${query.length} dimensions, the index ${dim}`);
  const index = newIndex(dim);
  index.load(file);
  const size = index.size();
  if (size === 0) return [];
  const matches = index.search(query.slice(), Math.max(1, Math.min(k, MAX_BROWSE_K, size)), 0);
  const out: BrowseMatch[] = [];
  for (let i = 0; i < matches.keys.length; i++) {
    const distance = matches.distances[i]!;
    if (!Number.isFinite(distance)) continue;
    out.push({ row: Number(matches.keys[i]!), similarity: 1 - distance });
  }
  return out;
}
