// Uses the real image encoder (native-models/looks-v1): the demo folder end to end, and orientation/bit depth.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDataset, defaultModelDir, loadPrivateStore, openModelEmbedder, showDataset, syncDataset, type ImageEmbedder } from '../../../core/datasets/index.ts';
import { DEFAULT_LIMITS, decodeImage } from '../../../core/datasets/ingest.ts';
import { tempHome, type TempHome } from './helpers.ts';

const demo = join(defaultModelDir(), 'demo-private');

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
}

describe('with the real image encoder', () => {
  let embedder: ImageEmbedder & { close(): Promise<void> };
  let env: TempHome;
  beforeAll(async () => {
    embedder = await openModelEmbedder();
    env = tempHome();
  });
  afterAll(async () => {
    await embedder?.close();
    env?.cleanup();
  });

  async function embedBytes(bytes: Buffer): Promise<Float32Array> {
    const decoded = await decodeImage(bytes, embedder.imageSpec, DEFAULT_LIMITS);
    if (!decoded.ok) throw new Error(decoded.reason);
    return embedder.embed([decoded.tensor]);
  }

  it('embeds EXIF-rotated and 16-bit images like their upright 8-bit twins (cosine ≥ 0.99)', async () => {
    for (const name of ['img-00020.png', 'img-00127.png', 'img-01009.png']) {
      const upright = readFileSync(join(demo, name));
      const rotated = await sharp(upright).rotate(270).withMetadata({ orientation: 6 }).jpeg({ quality: 98 }).toBuffer();
      const mirrored = await sharp(upright).flop().withMetadata({ orientation: 2 }).png().toBuffer();
      const deep = await sharp(upright).toColourspace('rgb16').png().toBuffer();
      expect((await sharp(deep).metadata()).depth).toBe('ushort');
      const base = await embedBytes(upright);
      expect(cosine(base, await embedBytes(rotated))).toBeGreaterThanOrEqual(0.99);
      expect(cosine(base, await embedBytes(mirrored))).toBeGreaterThanOrEqual(0.99);
      expect(cosine(base, await embedBytes(deep))).toBeGreaterThanOrEqual(0.99);
    }
  });

  it('indexes the bundled demo private folder end to end', async () => {
    const report = await addDataset({ folder: demo, name: 'demo', embedder, ledger: env.ledger, home: env.home });
    expect(report.counts.read).toBe(2000);
    expect(report.filesQuarantined).toBe(0);
    expect(report.members + report.duplicateFiles).toBe(2000);
    const store = loadPrivateStore(report.datasetId, { accountedFingerprint: env.ledger.getDataset(report.datasetId).fingerprint, home: env.home });
    expect(store.rows.rows).toBe(report.members);
    expect(store.rows.dim).toBe(embedder.dim);
    expect(store.rows.precision).toBe('float16'); // the model set's retrieval.storePrecision
    const row = new Float64Array(embedder.dim);
    for (let r = 0; r < store.rows.rows; r += 97) {
      store.rows.readRow(r, row);
      expect(Math.hypot(...row)).toBeCloseTo(1, 3);
    }
    store.close?.();
    expect(env.ledger.getDataset(report.datasetId).memberCount).toBe(report.members);
    expect(JSON.stringify(env.ledger.events(report.datasetId))).not.toMatch(/img-|demo-private/);
    const again = await syncDataset(report.datasetId, { embedder, ledger: env.ledger, home: env.home });
    expect(again.counts).toMatchObject({ unchanged: 2000, read: 0, embedded: 0 });
    expect(showDataset(report.datasetId, { home: env.home }).modelSet).toBe(embedder.modelSet);
  });
});
