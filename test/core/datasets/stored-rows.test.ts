// The private path's rows read from an index's file: the same scores and rows as the same values held in memory, in
// float32 and float16, by range and once read whole; a member row list that skips orphans; refusals.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StoredRows } from '../../../core/datasets/stored-rows.ts';
import { IndexStore } from '../../../core/datasets/store.ts';
import { exactTopK } from '../../../core/privacy/exact-top-k.ts';
import { allocateResidentStore, encodeFloat16, type StorePrecision } from '../../../core/privacy/index.ts';
import { unitQuery, unitRows, xorshift } from '../privacy/seeded-rows.ts';

const hashOf = (i: number) => createHash('sha256').update(`row-${i}`).digest('hex');
let dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

/** An import index of `rows` seeded unit rows; members listed in `dropped` are then removed (orphans stay stored). */
function indexOf(rows: number, dim: number, precision: StorePrecision, dropped: readonly number[] = []): { store: IndexStore; data: Float32Array } {
  const dir = mkdtempSync(join(tmpdir(), 'dprdm-stored-rows-'));
  dirs.push(dir);
  const store = IndexStore.create(join(dir, 'index'), { kind: 'import', name: 't', root: '', modelSet: 'test@1', dim, datasetId: 'ds_test', epsilonCap: 10, delta: 1e-6, createdAt: '2026-12-02T00:00:00Z', precision });
  const data = unitRows(rows, dim, rows + dim);
  const hashes = Array.from({ length: rows }, (_, i) => hashOf(i));
  store.appendEmbeddings(hashes, data, []);
  store.recordImported(hashes.map((sha256, i) => ({ id: `id-${i}`, sha256 })).filter((_, i) => !dropped.includes(i)));
  return { store, data };
}

const query = unitQuery;

describe('rows read from the index file', () => {
  for (const precision of ['float32', 'float16'] as const) {
    it(`scores and reads exactly what the same ${precision} values in memory give, by range and once resident`, async () => {
      const dim = 64;
      const dropped = [0, 7, 8, 9, 500];
      const { store, data } = indexOf(1200, dim, precision, dropped);
      const members = store.memberRows();
      expect(members.count).toBe(1195);
      expect(members.identity).toBe(false);
      const kept = Array.from({ length: 1200 }, (_, i) => i).filter((i) => !dropped.includes(i));
      expect(Array.from(members.rows)).toEqual(kept);
      // the reference: the members' rows held in memory in the same precision
      const reference = allocateResidentStore(kept.length, dim, precision);
      kept.forEach((row, i) => {
        const values = data.subarray(row * dim, (row + 1) * dim);
        if (precision === 'float16') (reference.values as Uint16Array).set(encodeFloat16(values), i * dim);
        else (reference.values as Float32Array).set(values, i * dim);
      });
      const paged = StoredRows.open(store.embeddingsPath, dim, precision, members, store.storedRows, { residentLimitBytes: 0 });
      const whole = StoredRows.open(store.embeddingsPath, dim, precision, members, store.storedRows, { residentLimitBytes: 2 ** 30 });
      await whole.ready();
      expect(paged.isResident).toBe(false);
      expect(whole.isResident).toBe(true);
      const random = xorshift(3);
      for (let trial = 0; trial < 12; trial++) {
        const q = query(dim, 100 + trial);
        const rate = [0.01, 0.2, 1][trial % 3]!;
        const subsample = Array.from({ length: kept.length }, (_, i) => i).filter(() => random() < rate);
        const expected = Array.from(reference.scores(q, subsample));
        expect(Array.from(paged.scores(q, subsample))).toEqual(expected);
        expect(Array.from(whole.scores(q, subsample))).toEqual(expected);
        expect(exactTopK(paged, q, subsample, 20)).toEqual(exactTopK(reference, q, subsample, 20));
      }
      const a = new Float64Array(dim);
      const b = new Float64Array(dim);
      for (const row of [0, 6, 7, 1194]) {
        reference.readRow(row, a);
        paged.readRow(row, b);
        expect(b).toEqual(a);
        whole.readRow(row, b);
        expect(b).toEqual(a);
      }
      expect(() => paged.scores(query(dim, 1), [1195])).toThrow(RangeError);
      expect(() => whole.readRow(-1, a)).toThrow(RangeError);
      paged.close();
      whole.close();
      store.close();
    });
  }

  it('scores more rows than one gather batch, in order', () => {
    const dim = 16;
    const { store, data } = indexOf(10_000, dim, 'float32');
    const rows = StoredRows.open(store.embeddingsPath, dim, 'float32', store.memberRows(), store.storedRows, { residentLimitBytes: 0 });
    const q = query(dim, 5);
    const every = Array.from({ length: 10_000 }, (_, i) => 9_999 - i);
    const scores = rows.scores(q, every);
    for (const r of [0, 4095, 4096, 9999]) {
      let dot = 0;
      for (let j = 0; j < dim; j++) dot += data[every[r]! * dim + j]! * q[j]!;
      expect(scores[r]).toBeCloseTo(dot, 5);
    }
    rows.close();
    store.close();
  });

  it('reports a file cut short without naming a row, and closes while a background read runs', async () => {
    const { store } = indexOf(300, 64, 'float16');
    const members = store.memberRows();
    const loading = StoredRows.open(store.embeddingsPath, 64, 'float16', members, store.storedRows, { residentLimitBytes: 2 ** 30 });
    loading.close(); // before the read finished: no error, the file is released when it ends
    await loading.ready();
    truncateSync(store.embeddingsPath, 100 * 64 * 2);
    const cut = StoredRows.open(store.embeddingsPath, 64, 'float16', members, store.storedRows, { residentLimitBytes: 2 ** 30 });
    await cut.ready();
    expect(cut.isResident).toBe(false);
    expect(() => cut.scores(query(64, 2), [250])).toThrow(/^the embedding store ends early; sync the dataset to rebuild it$/);
    cut.close();
    store.close();
  });
});

describe('the member row list', () => {
  it('is kept beside the member digest, cleared by every member change and recomputed with it', () => {
    const { store } = indexOf(50, 16, 'float32', [3]);
    const first = store.memberRows();
    expect(first.count).toBe(49);
    expect(store.memberDigest()).toEqual({ count: 49, fingerprint: first.fingerprint });
    store.recordImported([{ id: 'id-3', sha256: hashOf(3) }]);
    const second = store.memberRows();
    expect(second).toMatchObject({ count: 50, identity: true });
    expect(second.fingerprint).not.toBe(first.fingerprint);
    store.close();
  });

  it('is recomputed when it does not name the digest beside it', () => {
    const { store } = indexOf(20, 16, 'float32');
    const before = store.memberRows();
    store.transaction(() => store.setMeta('member_digest', `19:${'0'.repeat(64)}`)); // edited by hand: the row list names another digest
    const after = store.memberRows();
    expect(after.fingerprint).toBe(before.fingerprint);
    expect(after.count).toBe(20);
    store.close();
  });
});

describe('float16 stores against float32', () => {
  it('keep the exact top-20 of a float32 store for nearly every query (random unit rows, d = 64)', () => {
    const dim = 64;
    const rows = 20_000;
    const data = unitRows(rows, dim, 9);
    const f32 = allocateResidentStore(rows, dim, 'float32');
    (f32.values as Float32Array).set(data);
    const f16 = allocateResidentStore(rows, dim, 'float16');
    encodeFloat16(data, f16.values as Uint16Array);
    const every = Array.from({ length: rows }, (_, i) => i);
    let overlap = 0;
    const queries = 50;
    for (let t = 0; t < queries; t++) {
      const q = query(dim, 1000 + t);
      const a = new Set(exactTopK(f32, q, every, 20));
      overlap += exactTopK(f16, q, every, 20).filter((r) => a.has(r)).length;
    }
    expect(overlap / (20 * queries)).toBeGreaterThan(0.97);
  });
});
