/** The ledger's behaviour beyond the five required groups: location, settings, identity by content, export. */
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_ORDERS } from '../../../core/privacy/index.ts';
import {
  DatasetOverlapError,
  LedgerSchemaError,
  LATEST_SCHEMA_VERSION,
  buildExport,
  csvField,
  defaultLedgerPath,
  exportLedger,
  fileSystemTypeFromMountInfo,
  genesisHash,
  isNetworkFileSystemType,
  membershipFingerprint,
  openLedger,
  studioHome,
} from '../../../core/ledger/index.ts';
import { JSON_CHUNK_VALUES } from '../../../core/native/sqlite.ts';
import { memberHashes, tempLedger } from './helpers.ts';

const temp = tempLedger('dprdm-ledger-misc-');
afterAll(() => temp.cleanup());

describe('studio home and ledger path', () => {
  it('honours DPRDM_HOME and the OS data directories', () => {
    expect(studioHome({ DPRDM_HOME: '/srv/dprdm' }, 'linux')).toBe('/srv/dprdm');
    expect(defaultLedgerPath({ DPRDM_HOME: '/srv/dprdm' }, 'linux')).toBe('/srv/dprdm/ledger.sqlite');
    expect(studioHome({ DPRDM_HOME: '  ' }, 'linux')).toMatch(/\.local\/share\/dprdm-studio$/);
    expect(studioHome({ XDG_DATA_HOME: '/xdg' }, 'linux')).toBe('/xdg/dprdm-studio');
    expect(studioHome({}, 'darwin')).toMatch(/Library\/Application Support\/DP-RDM Studio$/);
    expect(studioHome({ APPDATA: '/c/Users/u/AppData/Roaming' }, 'win32')).toMatch(/DP-RDM Studio$/);
  });
});

describe('network file systems', () => {
  const mountInfo = [
    '22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw',
    '40 22 0:50 / /mnt/share rw - nfs4 server:/export rw',
    '41 22 0:51 / /home/u/remote\\040dir rw - fuse.sshfs u@host:/ rw',
    '42 40 0:52 / /mnt/share/local rw - ext4 /dev/sdb1 rw',
  ].join('\n');
  it('finds the mount of a path and classifies it', () => {
    expect(fileSystemTypeFromMountInfo(mountInfo, '/home/u/.local/share/dprdm-studio')).toBe('ext4');
    expect(fileSystemTypeFromMountInfo(mountInfo, '/mnt/share/studio')).toBe('nfs4');
    expect(fileSystemTypeFromMountInfo(mountInfo, '/mnt/share/local/studio')).toBe('ext4');
    expect(fileSystemTypeFromMountInfo(mountInfo, '/home/u/remote dir/x')).toBe('fuse.sshfs');
    expect(fileSystemTypeFromMountInfo(mountInfo, '/mnt/shared')).toBe('ext4');
    for (const type of ['nfs', 'nfs4', 'cifs', 'smb3', '9p', 'fuse.sshfs', 'ceph']) expect(isNetworkFileSystemType(type)).toBe(true);
    for (const type of ['ext4', 'xfs', 'btrfs', 'apfs', 'tmpfs', 'overlay', 'zfs']) expect(isNetworkFileSystemType(type)).toBe(false);
  });
});

describe('ledger settings and schema', () => {
  it('uses WAL, synchronous=FULL, foreign keys and a busy timeout; records the schema version', () => {
    const ledger = temp.open();
    expect(ledger.settings()).toEqual({ journalMode: 'wal', synchronous: 'FULL', foreignKeys: true, busyTimeoutMs: 10_000, schemaVersion: LATEST_SCHEMA_VERSION });
    const db = new Database(temp.path, { readonly: true });
    try {
      expect(db.prepare('SELECT version, description FROM schema_version ORDER BY version').all()).toEqual([
        { version: 1, description: expect.stringMatching(/hash-chained charges/) },
        { version: 2, description: expect.stringMatching(/fixed-order Rényi filter/) },
      ]);
    } finally {
      db.close();
    }
  });

  it('refuses a ledger written by a newer schema', () => {
    const other = tempLedger('dprdm-schema-');
    try {
      openLedger(other.path).close();
      const db = new Database(other.path);
      db.prepare("INSERT INTO schema_version (version, applied_at, description) VALUES (99, 'later', 'future')").run();
      db.close();
      expect(() => openLedger(other.path)).toThrow(LedgerSchemaError);
    } finally {
      other.cleanup();
    }
  });
});

describe('datasets are identified by image content', () => {
  it('re-creating a dataset from the same images (any order) finds its spend again', () => {
    const ledger = temp.open();
    const images = memberHashes(300, 'same');
    const first = ledger.createDataset({ name: 'Archive', memberHashes: images, epsilonCap: 2 });
    expect(first.created).toBe(true);
    expect(first.id).toMatch(/^ds_[0-9a-f]{16}$/);
    expect(first.delta).toBe(1e-5); // the class [200, 500): min(1e-5, 1/(10·500))
    expect(first.fingerprint).toBe(membershipFingerprint([...images].sort()));
    const receipt = ledger.charge(first.id, { q: 0.01, sigma: 1, k: 8, purpose: 'a lighthouse' });
    ledger.close();

    const reopened = temp.open();
    const again = reopened.createDataset({ name: 'Archive (moved folder)', memberHashes: [...images].reverse(), epsilonCap: 10 });
    expect(again.created).toBe(false);
    expect(again.id).toBe(first.id);
    expect(again.epsilonCap).toBe(2); // a re-created dataset never gets a fresh or larger budget
    expect(again.cumulativeEpsilon).toBe(receipt.cumulativeEpsilon);
    expect(again.charges).toBe(1);
  });

  it('refuses a dataset that overlaps another one (which would reset those images’ budget)', () => {
    const ledger = temp.open();
    const images = memberHashes(50, 'overlap');
    const dataset = ledger.createDataset({ name: 'A', memberHashes: images, epsilonCap: 1 });
    expect(() => ledger.createDataset({ name: 'B', memberHashes: [...images.slice(0, 10), ...memberHashes(5, 'overlap-new')], epsilonCap: 1 })).toThrow(DatasetOverlapError);
    const error = (() => {
      try {
        ledger.createDataset({ name: 'B', memberHashes: images.slice(0, 49), epsilonCap: 1 });
      } catch (caught) {
        return caught as DatasetOverlapError;
      }
      return undefined;
    })();
    expect(error?.otherDatasetIds).toEqual([dataset.id]);
    expect(error?.sharedImages).toBe(49);
  });

  it('checks and records members in JSON chunks, counting across the chunks', () => {
    const ledger = temp.open();
    const images = memberHashes(JSON_CHUNK_VALUES + 100, 'chunked');
    const sorted = [...images].sort();
    const a = ledger.createDataset({ name: 'Chunked', memberHashes: images, epsilonCap: 1 });
    expect(ledger.members(a.id)).toEqual(sorted);
    // every 1000th image: spread over both chunks of any list that holds them
    const shared = sorted.filter((_, i) => i % 1000 === 0);
    const fresh = memberHashes(JSON_CHUNK_VALUES, 'chunked-new');
    const overlap = (() => {
      try {
        ledger.createDataset({ name: 'Overlapping', memberHashes: [...fresh, ...shared], epsilonCap: 1 });
      } catch (caught) {
        return caught as DatasetOverlapError;
      }
      return undefined;
    })();
    expect(overlap?.otherDatasetIds).toEqual([a.id]);
    expect(overlap?.sharedImages).toBe(shared.length);
    // once removed, the shared images bring A's spend (their history) into the dataset that takes them in
    const charged = ledger.charge(a.id, { q: 0.02, sigma: 1, k: 4 });
    const sharedSet = new Set(shared);
    ledger.replaceMembers(a.id, sorted.filter((h) => !sharedSet.has(h)), 'removed every 1000th image');
    const b = ledger.createDataset({ name: 'Inheriting', memberHashes: [...fresh, ...shared], epsilonCap: 1 });
    expect(b.created).toBe(true);
    expect(b.cumulativeEpsilon).toBeCloseTo(charged.cumulativeEpsilon, 12);
    expect(ledger.members(b.id)).toEqual([...fresh, ...shared].sort());
  });

  it('replaceMembers keeps the spend, recomputes the fingerprint and records the change', () => {
    const ledger = temp.open();
    const images = memberHashes(200, 'replace');
    const dataset = ledger.createDataset({ name: 'R', memberHashes: images, epsilonCap: 1 });
    const receipt = ledger.charge(dataset.id, { q: 0.02, sigma: 1, k: 4 });
    const grown = [...images, ...memberHashes(20, 'replace-new')];
    const after = ledger.replaceMembers(dataset.id, grown, 'indexed 20 new images');
    expect(after.memberCount).toBe(220);
    expect(after.fingerprint).toBe(membershipFingerprint([...grown].sort()));
    expect(after.cumulativeEpsilon).toBe(receipt.cumulativeEpsilon);
    expect(ledger.members(dataset.id)).toEqual([...grown].sort());
    expect(ledger.verify(dataset.id).ok).toBe(true);
    expect(ledger.events(dataset.id).at(-1)).toMatchObject({ kind: 'members-replaced', detail: expect.stringMatching(/200 → 220 images; indexed 20 new images/) });
    // the same images again now resolve to this dataset
    expect(ledger.createDataset({ name: 'again', memberHashes: grown, epsilonCap: 1 }).id).toBe(dataset.id);
    // shrinking and growing past the declared size class keep δ, q and the filter (they never follow the exact N)
    const small = ledger.replaceMembers(dataset.id, images.slice(0, 5));
    expect(small).toMatchObject({ memberCount: 5, delta: dataset.delta, q: dataset.q, filter: dataset.filter, sizeClass: dataset.sizeClass });
    const big = ledger.createDataset({ name: 'big', memberHashes: memberHashes(20_000, 'replace-big'), epsilonCap: 1 });
    expect(big.sizeClass).toEqual({ lower: 20_000, upper: 50_000 });
    expect(big.delta).toBe(2e-6);
    const grownBig = ledger.replaceMembers(big.id, memberHashes(60_000, 'replace-big'));
    expect(grownBig).toMatchObject({ memberCount: 60_000, delta: 2e-6, q: big.q, filter: big.filter, sizeClass: big.sizeClass });
    expect(ledger.events(big.id).at(-1)!.detail).toMatch(/now outside its declared size class \(between 20,000 and 49,999 images\), whose δ and q it keeps/);
    expect(ledger.verify(big.id).ok).toBe(true);
  });
});

describe('charges and receipts', () => {
  it('chains rows from the genesis hash and returns a complete receipt', () => {
    const ledger = temp.open();
    const dataset = ledger.createDataset({ name: 'chain', memberHashes: memberHashes(100, 'chain'), epsilonCap: 3 });
    const r1 = ledger.charge(dataset.id, { q: 0.05, sigma: 1.5, k: 4, lambda: 0.8, purpose: 'a boat at dusk' });
    const r2 = ledger.charge(dataset.id, { q: 0.05, sigma: 1.5, k: 4, kind: 'audit' });
    expect(r1).toMatchObject({ datasetId: dataset.id, seq: 1, kind: 'release', q: 0.05, sigma: 1.5, k: 4, lambda: 0.8, noiseMultiplier: 3, purpose: 'a boat at dusk', epsilonCap: 3, delta: 1e-5 });
    expect(r1.receiptId).toMatch(/^rc_[0-9a-f]{24}$/);
    expect(r1.remainingEpsilon).toBeCloseTo(3 - r1.cumulativeEpsilon, 12);
    expect(r2.kind).toBe('audit');
    expect(r2.cumulativeEpsilon).toBeGreaterThan(r1.cumulativeEpsilon);
    expect(Object.isFrozen(r1)).toBe(true);
    const rows = ledger.charges(dataset.id);
    expect(rows[0]!.prevHash).toBe(genesisHash(dataset.id));
    expect(rows[1]!.prevHash).toBe(rows[0]!.hash);
    expect(rows[0]!.rdp).toHaveLength(DEFAULT_ORDERS.length);
    expect(ledger.hasReceipt(r1.receiptId, dataset.id)).toBe(true);
    expect(ledger.hasReceipt(r1.receiptId, 'ds_0000000000000000')).toBe(false);
  });
});

describe('export', () => {
  it('writes JSON and CSV with a plain-language privacy statement and nothing but hashes, parameters and purposes', () => {
    const ledger = temp.open();
    const dataset = ledger.createDataset({ name: 'Clinic scans', memberHashes: memberHashes(400, 'export'), epsilonCap: 4, delta: 1e-6 });
    ledger.charge(dataset.id, { q: 0.01, sigma: 0.9, k: 8, purpose: 'a chest x-ray, "frontal"' });
    ledger.charge(dataset.id, { q: 0.01, sigma: 0.9, k: 8, purpose: '=HYPERLINK("http://evil")', kind: 'audit' });
    const data = buildExport(ledger, dataset.id, new Date('2026-01-01T00:00:00Z'));
    expect(data.statement).toMatch(/2 entries have been recorded \(1 released queries, 1 audit-only\)/);
    expect(data.statement).toMatch(/ε = 4, δ = 0\.000001\)-differential privacy/);
    expect(data.statement).toMatch(/declared between 200 and 499 images/);
    expect(data.statement).not.toMatch(/\b400\b/); // never the exact number of images
    expect(data.statement).toMatch(/δ = 0\.000001/);
    expect(data.statement).toMatch(/privacy unit: one image/);
    expect(data.statement).toMatch(/Poisson subsampling/);
    expect(data.statement).toMatch(/Mironov, Talwar & Zhang 2019/);
    expect(data.statement).toMatch(/155 Rényi orders from 1\.1 to 256/);
    expect(data.verification.ok).toBe(true);
    expect(data.charges).toHaveLength(2);
    const json = JSON.parse(exportLedger(ledger, dataset.id, 'json')) as typeof data;
    expect(json.dataset).toMatchObject({ id: dataset.id, epsilonCap: 4, delta: 1e-6, queries: 2, privacyUnit: 'image', sizeClass: { lower: 200, upper: 500 } });
    expect(JSON.stringify(json)).not.toMatch(/fingerprint|memberCount/);
    const csv = exportLedger(ledger, dataset.id, 'csv');
    const lines = csv.trimEnd().split('\r\n');
    // plain CSV: the header first, one row per entry, no comment lines
    expect(lines[0]).toMatch(/^seq,receipt_id,created_at,kind,q,sigma,k,lambda,noise_multiplier,epsilon_cost,/);
    expect(lines.slice(1)).toHaveLength(2);
    expect(csv).toContain('"a chest x-ray, ""frontal"""');
    expect(csv).toContain(`"'=HYPERLINK(""http://evil"")"`);
    expect(csvField('-1')).toBe("'-1");
    expect(csvField(-1)).toBe('-1');
    // nothing from the file system: no paths at all in the database file or the exports
    const raw = readFileSync(temp.path).toString('latin1');
    for (const text of [csv, JSON.stringify(json), raw]) expect(text).not.toContain(temp.dir);
    expect(JSON.stringify(json)).not.toContain('ledger.sqlite');
  });
});
