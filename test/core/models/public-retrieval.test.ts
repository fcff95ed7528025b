// The bundled public retrieval set reads as [count, dim] unit-norm rows, sized as the manifest says.
import { describe, expect, it } from 'vitest';
import { readPublicRetrieval, verifyModelSet } from '../../../core/models/index.ts';
import { MODEL_SET_DIR } from './golden-fixtures.ts';

describe('readPublicRetrieval', () => {
  it('gives count × dim unit-norm embeddings', async () => {
    const set = await verifyModelSet(MODEL_SET_DIR);
    const pub = await readPublicRetrieval(set);
    expect(pub.count).toBe(set.manifest.retrieval.publicRetrievalCount);
    expect(pub.dim).toBe(set.manifest.embedding.dim);
    for (const row of [0, Math.floor(pub.count / 2), pub.count - 1]) {
      const v = pub.data.subarray(row * pub.dim, (row + 1) * pub.dim);
      expect(Math.hypot(...v)).toBeCloseTo(1, 3);
    }
  });
});
