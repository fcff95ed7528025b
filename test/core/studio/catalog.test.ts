// The dataset catalog: it sees what another process did to an index (by the index files' stamp), and its guard
// refuses a private query whose index and ledger disagree, before anything is charged; the private store checks
// the same agreement again after the charge, from the rows it loads.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { importEmbeddings, importMemberHash, loadPrivateStore, removeDataset, toNpy } from '../../../core/datasets/index.ts';
import { IndexStore } from '../../../core/datasets/store.ts';
import { DatasetCatalog } from '../../../core/studio/catalog.ts';
import { tempHome, type TempHome } from '../datasets/helpers.ts';

function unitRows(rows: number, dim: number): Float32Array {
  const data = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) data[r * dim + (r % dim)] = 1;
  return data;
}

describe('DatasetCatalog', () => {
  let env: TempHome | undefined;
  afterEach(() => env?.cleanup());

  const add = (name: string, rows: number) =>
    importEmbeddings({ npy: toNpy(unitRows(rows, 8), rows, 8), ids: Array.from({ length: rows }, (_, i) => `${name}-${i}`), name, modelSet: 'm', dim: 8, ledger: env!.ledger, home: env!.home });

  it('lists, finds and resolves datasets, and sees changes made behind its back', () => {
    env = tempHome();
    const catalog = new DatasetCatalog(env.home, env.ledger);
    expect(catalog.all()).toEqual([]);
    const a = add('Alpha', 5);
    expect(catalog.all().map((d) => d.name)).toEqual(['Alpha']);
    expect(catalog.resolveRef('alpha')).toBe(a.datasetId);
    expect(() => catalog.resolveRef('beta')).toThrow(/no dataset "beta"/);
    const b = add('Beta', 3); // another process adds one
    expect(catalog.all().map((d) => d.datasetId).sort()).toEqual([a.datasetId, b.datasetId].sort());
    // another process renames Alpha in its index: the next look reads it again
    const db = new Database(join(env.home, 'datasets', a.datasetId, 'index.sqlite'));
    db.prepare("UPDATE meta SET value = 'Alpha (renamed)' WHERE key = 'name'").run();
    db.close();
    expect(catalog.find(a.datasetId)?.name).toBe('Alpha (renamed)');
    removeDataset(b.datasetId, { home: env.home });
    expect(catalog.all().map((d) => d.datasetId)).toEqual([a.datasetId]);
    expect(catalog.find(b.datasetId)).toBeUndefined();
    expect(() => catalog.require(b.datasetId)).toThrow(/no dataset/);
  });

  it('the guard returns the ledger view when index and ledger agree, and refuses (charging nothing) when they do not', () => {
    env = tempHome();
    const catalog = new DatasetCatalog(env.home, env.ledger);
    const a = add('Alpha', 5);
    expect(catalog.requireAccounted(a.datasetId)).toMatchObject({ id: a.datasetId, memberCount: 5, charges: 0 });
    // A half-finished change by another process (rows recorded in the index, the ledger not yet told).
    const store = IndexStore.open(join(env.home, 'datasets', a.datasetId));
    const extra = new Float32Array(8);
    extra[7] = 1;
    store.appendEmbeddings([importMemberHash('Alpha-new')], extra, []);
    store.recordImported([{ id: 'Alpha-new', sha256: importMemberHash('Alpha-new') }]);
    store.close();
    expect(() => catalog.requireAccounted(a.datasetId)).toThrow(/disagree on which images it holds.*nothing was charged/);
    expect(env.ledger.getDataset(a.datasetId).charges).toBe(0);
  });

  it('reads the member digest and row list instead of every hash: the rows served are the ones the digest was computed for', () => {
    env = tempHome();
    const catalog = new DatasetCatalog(env.home, env.ledger);
    const a = add('Alpha', 5);
    const file = join(env.home, 'datasets', a.datasetId, 'index.sqlite');
    const db = new Database(file);
    expect(db.prepare("SELECT value FROM meta WHERE key = 'member_digest'").get()).toMatchObject({ value: expect.stringMatching(/^5:[0-9a-f]{64}$/) });
    db.prepare('DELETE FROM imported WHERE id = ?').run('Alpha-0'); // behind IndexStore's back: digest and row list stay
    const info = catalog.requireAccounted(a.datasetId);
    const served = loadPrivateStore(a.datasetId, { home: env.home, accountedFingerprint: info.fingerprint });
    expect(served.rows.rows).toBe(5); // the five rows the ledger accounts for, not a set it does not know
    served.close?.();
    // A digest that the row list does not name is recomputed from the hashes, and then disagrees with the ledger.
    db.prepare("UPDATE meta SET value = ? WHERE key = 'member_digest'").run(`5:${'0'.repeat(64)}`);
    db.close();
    expect(() => loadPrivateStore(a.datasetId, { home: env!.home, accountedFingerprint: info.fingerprint })).toThrow(/disagree on which images it holds/);
  });
});
