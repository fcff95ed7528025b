/**
 * The bundled public retrieval set (docs/design.md §3, public-only mode): unit-norm image embeddings of public renders,
 * raw little-endian float32 [count, dim] in `files.publicRetrieval`, count from `retrieval.publicRetrievalCount`.
 */
import { readFile } from 'node:fs/promises';
import { ModelSetError } from './errors.ts';
import type { VerifiedModelSet } from './verify.ts';

export interface PublicRetrievalSet {
  /** Row-major [count, dim]. */
  data: Float32Array;
  count: number;
  dim: number;
}

export async function readPublicRetrieval(set: VerifiedModelSet): Promise<PublicRetrievalSet> {
  const path = set.paths.publicRetrieval;
  const bytes = await readFile(path);
  const dim = set.manifest.embedding.dim;
  const count = set.manifest.retrieval.publicRetrievalCount;
  if (bytes.length !== count * dim * 4) {
    throw new ModelSetError('MANIFEST_INVALID', `${path} has ${bytes.length} bytes; the manifest implies ${count} × ${dim} float32 = ${count * dim * 4}`, path);
  }
  const data = new Float32Array(count * dim);
  for (let i = 0; i < data.length; i++) data[i] = bytes.readFloatLE(i * 4);
  return { data, count, dim };
}
