import { copyFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDataset, DatasetCancelledError, importEmbeddings, importMemberHash, loadEmbeddingMatrix, loadPrivateStore, removeDataset, showDataset, syncDataset, toNpy, listDatasets } from '../../../core/datasets/index.ts';
import { colourImage } from './corpus.ts';
import { ProjectionEmbedder, tempDir, tempHome, type TempHome } from './helpers.ts';

describe('incremental sync', () => {
  let env: TempHome;
  let folder: string;
  let id: string;
  const embedder = new ProjectionEmbedder();
  const run = () => syncDataset(id, { embedder, ledger: env.ledger, home: env.home, batchSize: 4 });

  beforeAll(async () => {
    env = tempHome();
    folder = tempDir();
    for (let i = 0; i < 12; i++) writeFileSync(join(folder, `img-${i}.png`), await (await colourImage(i * 20, 100, 200 - i * 10, 32, i)).png().toBuffer());
    const report = await addDataset({ folder, embedder, ledger: env.ledger, home: env.home, name: 'sync', batchSize: 4 });
    id = report.datasetId;
    expect(report.counts).toMatchObject({ read: 12, embedded: 12, reused: 0, unchanged: 0 });
  });
  afterAll(() => {
    env.cleanup();
    rmSync(folder, { recursive: true, force: true });
  });

  it('does nothing when nothing changed', async () => {
    const r = await run();
    expect(r.counts).toMatchObject({ unchanged: 12, read: 0, embedded: 0, removed: 0, droppedEmbeddings: 0 });
  });

  it('counts exactly the work after add, delete, rename and edit', async () => {
    writeFileSync(join(folder, 'new.png'), await (await colourImage(1, 250, 1, 32, 30)).png().toBuffer()); // add
    rmSync(join(folder, 'img-0.png')); // delete
    renameSync(join(folder, 'img-1.png'), join(folder, 'moved.png')); // rename
    writeFileSync(join(folder, 'img-2.png'), await (await colourImage(250, 250, 1, 32, 31)).png().toBuffer()); // edit
    copyFileSync(join(folder, 'img-3.png'), join(folder, 'copy.png')); // duplicate
    const calls = embedder.images;
    const r = await run();
    expect(r.counts).toMatchObject({ unchanged: 9, read: 4, embedded: 2, reused: 2, removed: 2, droppedEmbeddings: 2 });
    expect(embedder.images - calls).toBe(2);
    expect(r.members).toBe(12);
    expect(env.ledger.getDataset(id).fingerprint).toBe(r.fingerprint);
    const m = loadEmbeddingMatrix(id, { home: env.home });
    expect(m.rows).toBe(12);
    expect(m.data.length).toBe(12 * m.dim);
    const again = await run();
    expect(again.counts).toMatchObject({ unchanged: 13, read: 0, embedded: 0 });
  });

  it('refuses to treat a missing folder as everything deleted', async () => {
    const moved = `${folder}-away`;
    renameSync(folder, moved);
    await expect(run()).rejects.toThrow(/cannot be found/);
    renameSync(moved, folder);
    expect(loadPrivateStore(id, { accountedFingerprint: env.ledger.getDataset(id).fingerprint, home: env.home }).rows.rows).toBe(12);
  });

  it('resumes a cancelled add without redoing persisted files', async () => {
    const other = tempDir();
    for (let i = 0; i < 16; i++) writeFileSync(join(other, `c-${i}.png`), await (await colourImage(i * 15, 10, 90, 32, 40 + i)).png().toBuffer());
    const controller = new AbortController();
    let batches = 0;
    const cancelling = new ProjectionEmbedder();
    const original = cancelling.embed.bind(cancelling);
    cancelling.embed = async (t) => {
      if (++batches === 2) controller.abort();
      return original(t);
    };
    await expect(addDataset({ folder: other, embedder: cancelling, ledger: env.ledger, home: env.home, batchSize: 4, concurrency: 1, signal: controller.signal })).rejects.toBeInstanceOf(DatasetCancelledError);
    const resumed = await addDataset({ folder: other, embedder, ledger: env.ledger, home: env.home, batchSize: 4 });
    expect(resumed.counts.unchanged).toBeGreaterThanOrEqual(8);
    expect(resumed.counts.embedded).toBe(16 - resumed.counts.unchanged);
    expect(resumed.members).toBe(16);
    removeDataset(resumed.datasetId, { home: env.home });
    expect(listDatasets({ home: env.home }).map((d) => d.datasetId)).toEqual([id]);
    // the ledger keeps the removed dataset: re-adding the same images resumes it
    const again = await addDataset({ folder: other, embedder, ledger: env.ledger, home: env.home });
    expect(again.datasetId).toBe(resumed.datasetId);
    expect(again.created).toBe(false);
    rmSync(other, { recursive: true, force: true });
  });

  it('imports a .npy matrix, validating shape, finiteness and norm', () => {
    const dim = 16;
    const rows = 5;
    const data = new Float32Array(rows * dim);
    for (let r = 0; r < rows; r++) data[r * dim + r] = 1;
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const summary = importEmbeddings({ npy: toNpy(data, rows, dim), ids, name: 'imported', modelSet: embedder.modelSet, dim, ledger: env.ledger, home: env.home });
    expect(summary.members).toBe(5);
    // stored in member-hash order (import-rows.ts), each row as the file gave it
    const order = ids.map((id, r) => [importMemberHash(id), r] as const).sort(([a], [b]) => (a < b ? -1 : 1)).map(([, r]) => r);
    expect(order).not.toEqual([0, 1, 2, 3, 4]);
    const stored = loadEmbeddingMatrix(summary.datasetId, { home: env.home }).data;
    order.forEach((fileRow, storeRow) => expect(stored.subarray(storeRow * dim, (storeRow + 1) * dim)).toEqual(data.subarray(fileRow * dim, (fileRow + 1) * dim)));
    const bad = data.slice();
    bad[3] = 0.5;
    expect(() => importEmbeddings({ npy: toNpy(bad, rows, dim), ids: ['v', 'w', 'x', 'y', 'z'], modelSet: 'm', dim, ledger: env.ledger, home: env.home })).toThrow(/norm/);
    for (const value of [Number.NaN, -Infinity]) {
      bad[3] = value;
      expect(() => importEmbeddings({ npy: toNpy(bad, rows, dim), ids: ['v', 'w', 'x', 'y', 'z'], modelSet: 'm', dim, ledger: env.ledger, home: env.home })).toThrow(/non-finite/);
    }
    bad[3] = 3.4e38; // the largest float32s are finite: refused for their norm, not as non-finite
    expect(() => importEmbeddings({ npy: toNpy(bad, rows, dim), ids: ['v', 'w', 'x', 'y', 'z'], modelSet: 'm', dim, ledger: env.ledger, home: env.home })).toThrow(/has norm/);
    expect(() => importEmbeddings({ npy: toNpy(data, rows, dim), ids: ['v', 'w'], modelSet: 'm', dim, ledger: env.ledger, home: env.home })).toThrow(/5 rows but 2 ids/);
    expect(() => importEmbeddings({ npy: toNpy(data, rows, dim), ids, modelSet: 'm', dim: 8, ledger: env.ledger, home: env.home })).toThrow(/16-dimensional/);
    // ids are stored as text: quotes, backslashes and pairs survive; half a surrogate pair is refused
    const named = importEmbeddings({ npy: toNpy(data, rows, dim), ids: ['q"1', 'b\\2', 'é3', '🖼4', 'x 5'], modelSet: 'm', dim, ledger: env.ledger, home: env.home, name: 'names' });
    expect(showDataset(named.datasetId, { home: env.home }).members).toBe(5);
    expect(() => importEmbeddings({ npy: toNpy(data, rows, dim), ids: ['v', 'w', '\ud800x', 'y', 'z'], modelSet: 'm', dim, ledger: env.ledger, home: env.home })).toThrow(/id 3 .*invalid Unicode/);
    expect(showDataset(summary.datasetId, { home: env.home }).kind).toBe('import');
  });
});
