// The generator's bench-only probe: every stage of the real pipeline reports its time, in pipeline order, so
// bench:generate measures this code rather than a copy. Without a probe nothing is timed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultModelDir } from '../../../core/datasets/index.ts';
import { Generator, type GenerationStage } from '../../../core/generation/generator.ts';
import { HistoryStore } from '../../../core/generation/history.ts';
import { openLedger } from '../../../core/ledger/index.ts';
import { ModelHost, readPublicRetrieval, verifyModelSet } from '../../../core/models/index.ts';

let root: string;
let host: ModelHost;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'dprdm-probe-'));
  host = await ModelHost.start(defaultModelDir(), { provider: 'cpu' });
});
afterAll(async () => {
  await host?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('Generator probe', () => {
  it('reports each stage of a generation once per lap, in order, with non-negative times', async () => {
    const set = await verifyModelSet(defaultModelDir());
    const publicSet = await readPublicRetrieval(set);
    const laps: [GenerationStage, number][] = [];
    const history = new HistoryStore(join(root, 'history.sqlite'));
    const ledger = openLedger(join(root, 'ledger.sqlite'));
    try {
      const generator = new Generator({
        home: root,
        ledger,
        history,
        models: async () => host,
        publicSet: async () => publicSet,
        modelSet: { name: 'looks-v1', version: '1.0.0', sha256: 'x'.repeat(64) },
        studioVersion: '0',
        emit: () => undefined,
        privateStore: () => {
          throw new Error('public-only reads no private store');
        },
        probe: (stage, ms) => laps.push([stage, ms]),
      });
      const out = await generator.generate({ prompt: 'a red star', lambda: 1, source: { kind: 'public', datasetId: null, k: 8 }, render: { images: 2, guidance: 3, steps: 2, sampler: 'ddim', seeds: [1, 2] } }, 'job', new AbortController().signal);
      expect(out.images).toHaveLength(2);
      // 2 images = batches of 1 and 1: bookkeeping, then sampling and a PNG write per batch
      expect(laps.map(([s]) => s)).toEqual(['textEncode', 'aggregate', 'pngWrite', 'sampling', 'pngWrite', 'sampling', 'pngWrite']);
      expect(laps.every(([, ms]) => ms >= 0 && Number.isFinite(ms))).toBe(true);
    } finally {
      history.close();
      ledger.close();
    }
  }, 60_000);
});
