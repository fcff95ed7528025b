/**
 * Tampering (issue 3, test 3): editing an ε or RDP value, deleting a row (middle or last), reordering rows,
 * raising the cap, rewriting the whole chain with consistent hashes but a lowered RDP, and truncating or
 * replacing the file are all detected; verify names the problem and the dataset locks (no further charges)
 * until the curator explicitly unlocks it.
 */
import { truncateSync, statSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  LedgerCorruptError,
  LedgerLockedError,
  genesisHash,
  openLedger,
  type Ledger,
} from '../../../core/ledger/index.ts';
import { chargeHash, encodeVector } from '../../../core/ledger/encoding.ts';
import { memberHashes, tempLedger, type TempLedger } from './helpers.ts';

const QUERIES = [
  { q: 0.01, sigma: 0.8, k: 8, purpose: 'first' },
  { q: 0.02, sigma: 1.2, k: 4, purpose: 'second' },
  { q: 0.005, sigma: 0.5, k: 16, purpose: 'third', kind: 'audit' as const },
];
const N = 10;

let temp: TempLedger;
afterEach(() => temp.cleanup());

/** A ledger with one dataset and N charges, closed (so the WAL is checkpointed into the file). */
function seeded(): { datasetId: string } {
  temp = tempLedger('dprdm-tamper-');
  const ledger = openLedger(temp.path);
  const dataset = ledger.createDataset({ name: 'tamper', memberHashes: memberHashes(500, 'tamper'), epsilonCap: 5 });
  for (let i = 0; i < N; i++) ledger.charge(dataset.id, QUERIES[i % QUERIES.length]!);
  expect(ledger.verify(dataset.id).ok).toBe(true);
  ledger.close();
  return { datasetId: dataset.id };
}

function raw(fn: (db: Database.Database) => void): void {
  const db = new Database(temp.path);
  try {
    fn(db);
  } finally {
    db.close();
  }
}

function expectLockedAfterVerify(datasetId: string, seq: number | null, pattern: RegExp): Ledger {
  const ledger = temp.open();
  const report = ledger.verify(datasetId);
  expect(report.ok).toBe(false);
  expect(report.firstBadRow?.seq ?? null).toBe(seq);
  expect(report.firstBadRow?.problem).toMatch(pattern);
  expect(report.locked).toBe(true);
  expect(ledger.getDataset(datasetId).locked).toBe(true);
  const before = ledger.getDataset(datasetId).charges;
  expect(() => ledger.charge(datasetId, QUERIES[0]!)).toThrow(LedgerLockedError);
  expect(ledger.getDataset(datasetId).charges).toBe(before);
  expect(ledger.events(datasetId).some((e) => e.kind === 'locked')).toBe(true);
  // Locked in the file, not only in this process.
  const other = temp.open();
  expect(other.getDataset(datasetId).lockedReason).toMatch(/verification failed/);
  expect(() => other.charge(datasetId, QUERIES[1]!)).toThrow(LedgerLockedError);
  return ledger;
}

describe('ledger tamper detection', () => {
  it('detects an edited cumulative ε', () => {
    const { datasetId } = seeded();
    raw((db) => db.prepare('UPDATE charges SET cumulative_epsilon = cumulative_epsilon / 2 WHERE seq = 5').run());
    expectLockedAfterVerify(datasetId, 5, /edited|hash/);
  });

  it('detects an edited RDP value', () => {
    const { datasetId } = seeded();
    raw((db) => {
      const row = db.prepare('SELECT rdp FROM charges WHERE seq = 3').get() as { rdp: Buffer };
      const rdp = Buffer.from(row.rdp);
      rdp.writeDoubleLE(rdp.readDoubleLE(80) * 0.5, 80);
      db.prepare('UPDATE charges SET rdp = ? WHERE seq = 3').run(rdp);
    });
    const ledger = expectLockedAfterVerify(datasetId, 3, /edited|hash/);
    expect(ledger.verify(datasetId).problems.some((p) => /does not match the accountant/.test(p.problem))).toBe(true);
  });

  it('detects a deleted row in the middle', () => {
    const { datasetId } = seeded();
    raw((db) => db.prepare('DELETE FROM charges WHERE seq = 4').run());
    expectLockedAfterVerify(datasetId, 5, /#4 missing \(deleted\)/);
  });

  it('detects a deleted last row (truncation of the chain) at verify and before any charge', () => {
    const { datasetId } = seeded();
    raw((db) => db.prepare(`DELETE FROM charges WHERE seq = ${N}`).run());
    const ledger = temp.open();
    // charge's own tail check catches it without a full verify, and locks
    let error: unknown;
    try {
      ledger.charge(datasetId, QUERIES[0]!);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(LedgerLockedError);
    expect((error as Error).message).toMatch(/head records 10 charges/);
    expect(ledger.getDataset(datasetId).locked).toBe(true);
    const report = ledger.verify(datasetId);
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => p.problem).join('\n')).toMatch(/head records 10 charges but 9 are stored/);
  });

  it('detects two reordered rows', () => {
    const { datasetId } = seeded();
    raw((db) =>
      db.transaction(() => {
        db.prepare('UPDATE charges SET seq = -1 WHERE seq = 3').run();
        db.prepare('UPDATE charges SET seq = 3 WHERE seq = 6').run();
        db.prepare('UPDATE charges SET seq = 6 WHERE seq = -1').run();
      })(),
    );
    expectLockedAfterVerify(datasetId, 3, /previous-row hash|reordered|edited/);
  });

  it('detects a raised cap (dataset header) before charging', () => {
    const { datasetId } = seeded();
    raw((db) => db.prepare('UPDATE datasets SET epsilon_cap = 50').run());
    const ledger = temp.open();
    expect(() => ledger.preview(datasetId, QUERIES[0]!)).toThrow(LedgerLockedError);
    expect(() => ledger.charge(datasetId, QUERIES[0]!)).toThrow(/header .* was modified/);
    expect(ledger.verify(datasetId).firstBadRow).toMatchObject({ seq: null, problem: expect.stringMatching(/header/) });
  });

  it('detects a removed or swapped member hash (the membership fingerprint)', () => {
    const { datasetId } = seeded();
    raw((db) => db.prepare('DELETE FROM members WHERE content_hash = (SELECT MIN(content_hash) FROM members)').run());
    expectLockedAfterVerify(datasetId, null, /500 images but 499 member hashes/);
  });

  it('detects a substituted member hash', () => {
    const { datasetId } = seeded();
    raw((db) => db.prepare("UPDATE members SET content_hash = ? WHERE content_hash = (SELECT MIN(content_hash) FROM members)").run('0'.repeat(64)));
    expectLockedAfterVerify(datasetId, null, /membership fingerprint does not match/);
  });

  it('detects a consistently re-hashed chain whose RDP was lowered (the accountant recomputes every row)', () => {
    const { datasetId } = seeded();
    raw((db) => {
      const rows = db.prepare('SELECT * FROM charges ORDER BY seq').all() as Record<string, unknown>[];
      let prev = genesisHash(datasetId);
      let cumulative: number[] | undefined;
      for (const row of rows) {
        const rdpBuf = row.rdp as Buffer;
        const rdp = Array.from({ length: rdpBuf.length / 8 }, (_, i) => rdpBuf.readDoubleLE(i * 8) / 10);
        cumulative = cumulative ? cumulative.map((v, i) => v + rdp[i]!) : rdp;
        const fields = {
          datasetId,
          seq: row.seq as number,
          receiptId: row.receipt_id as string,
          createdAt: row.created_at as string,
          kind: row.kind as string,
          q: row.q as number,
          sigma: row.sigma as number,
          k: row.k as number,
          lambda: row.lambda as number,
          purpose: row.purpose as string,
          rdp: encodeVector(rdp),
          cumulativeRdp: encodeVector(cumulative),
          epsilonCost: row.epsilon_this_query as number,
          cumulativeEpsilon: row.cumulative_epsilon as number,
          epsilonOrder: row.epsilon_order as number,
          prevHash: prev,
        };
        const hash = chargeHash(fields);
        db.prepare('UPDATE charges SET rdp = ?, cumulative_rdp = ?, prev_hash = ?, hash = ? WHERE seq = ?').run(fields.rdp, fields.cumulativeRdp, prev, hash, fields.seq);
        prev = hash;
      }
      db.prepare('UPDATE heads SET last_hash = ?').run(prev);
    });
    expectLockedAfterVerify(datasetId, 1, /does not match the accountant/);
  });

  it('refuses a truncated file with a clear error and never re-creates it', () => {
    seeded();
    const size = statSync(temp.path).size;
    truncateSync(temp.path, Math.floor(size / 2));
    let error: unknown;
    try {
      openLedger(temp.path);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(LedgerCorruptError);
    expect((error as LedgerCorruptError).code).toBe('LEDGER_CORRUPT');
    expect((error as Error).message).toMatch(/damaged or truncated/);
    expect(statSync(temp.path).size).toBe(Math.floor(size / 2)); // untouched

    truncateSync(temp.path, 0);
    expect(() => openLedger(temp.path)).toThrow(/0 bytes long: it was truncated/);
    expect(statSync(temp.path).size).toBe(0); // an empty file is never silently turned into a fresh ledger
  });

  it('refuses a file that is not a ledger', () => {
    temp = tempLedger('dprdm-tamper-');
    writeFileSync(temp.path, Buffer.alloc(4096, 7));
    expect(() => openLedger(temp.path)).toThrow(LedgerCorruptError);
    raw(() => undefined);
    const other = `${temp.dir}/other.sqlite`;
    const db = new Database(other);
    db.exec('CREATE TABLE t (x)');
    db.close();
    expect(() => openLedger(other)).toThrow(/not a DP-RDM ledger/);
  });

  it('unlocks only by an explicit, recorded curator act; refuses while verification still fails unless forced', () => {
    const { datasetId } = seeded();
    raw((db) => db.prepare('UPDATE charges SET purpose = ? WHERE seq = 2').run('edited'));
    const ledger = expectLockedAfterVerify(datasetId, 2, /edited|hash/);
    expect(() => ledger.unlock(datasetId, '')).toThrow(/curator must say why/);
    expect(() => ledger.unlock(datasetId, 'looked fine to me')).toThrow(LedgerLockedError);
    expect(ledger.getDataset(datasetId).locked).toBe(true);
    // Restoring the row (e.g. from a backup) and unlocking works, and is recorded.
    raw((db) => db.prepare('UPDATE charges SET purpose = ? WHERE seq = 2').run('second'));
    const info = ledger.unlock(datasetId, 'restored row 2 from backup');
    expect(info.locked).toBe(false);
    expect(ledger.events(datasetId).map((e) => e.kind)).toEqual(['created', 'locked', 'unlocked']);
    expect(ledger.charge(datasetId, QUERIES[0]!).seq).toBe(N + 1);
    // A forced unlock of a still-broken ledger is possible but recorded as such.
    raw((db) => db.prepare('UPDATE charges SET purpose = ? WHERE seq = 1').run('edited'));
    expect(ledger.verify(datasetId).ok).toBe(false);
    ledger.unlock(datasetId, 'accepting the damaged row 1 after review', { force: true });
    expect(ledger.events(datasetId).at(-1)).toMatchObject({ kind: 'force-unlocked', detail: expect.stringMatching(/accepting the damaged row 1/) });
    expect(ledger.getDataset(datasetId).charges).toBe(N + 1); // spend was never reset
  });
});
