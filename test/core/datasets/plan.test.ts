// A new dataset's k comes from the planner when the model set states what its decoder was trained for.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDataset } from '../../../core/datasets/index.ts';
import { deltaForSizeClass, planDatasetK, type RetrievalRange } from '../../../core/ledger/index.ts';
import { colourImage } from './corpus.ts';
import { ProjectionEmbedder, tempDir, tempHome, type TempHome } from './helpers.ts';

const range: RetrievalRange = { trainedKs: [2, 4, 8], dim: 8, sigmaMax: 0.2, influence: { strong: 1, some: 0.5 } };

describe('addDataset plans k', () => {
  let env: TempHome;
  let folder: string;
  beforeAll(async () => {
    env = tempHome();
    folder = tempDir();
    for (let i = 0; i < 24; i++) writeFileSync(join(folder, `img-${i}.png`), await (await colourImage((i * 37) % 255, (i * 91) % 255, (i * 53) % 255, 32, i)).png().toBuffer());
  });
  afterAll(() => env.cleanup());

  it('takes the planner’s k for the declared class and plan, and keeps a k the caller names', async () => {
    const embedder = Object.assign(new ProjectionEmbedder(), { retrievalRange: range });
    const sizeClass = { lower: 20, upper: 50 };
    const planned = await addDataset({ folder, embedder, ledger: env.ledger, home: env.home, name: 'planned', epsilonCap: 5, sizeClass, plannedGenerations: 10 });
    const expected = planDatasetK({ sizeClass, epsilonCap: 5, delta: deltaForSizeClass(sizeClass), plannedGenerations: 10 }, range)!;
    expect(env.ledger.getDataset(planned.datasetId).k).toBe(expected.k);
    expect(expected.k).toBeGreaterThan(2); // the plan is not simply the smallest trained k
    const other = tempHome();
    try {
      const named = await addDataset({ folder, embedder, ledger: other.ledger, home: other.home, name: 'named', epsilonCap: 5, sizeClass, plannedGenerations: 10, k: 2 });
      expect(other.ledger.getDataset(named.datasetId).k).toBe(2);
    } finally {
      other.cleanup();
    }
  });
});
