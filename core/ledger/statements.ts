/** The ledger's prepared SQL statements, one set per connection (the schema is ./schema.ts). */
import type { SqliteDatabase } from '../native/sqlite.ts';
import type { ChargeRow, DatasetRow, HeadRow } from './rows.ts';
import type { LedgerEvent } from './types.ts';

export function prepareStatements(db: SqliteDatabase) {
  return {
    dataset: db.prepare<[string], DatasetRow>('SELECT * FROM datasets WHERE id = ?'),
    datasets: db.prepare<[], DatasetRow>('SELECT * FROM datasets ORDER BY created_at, id'),
    byFingerprint: db.prepare<[string], DatasetRow>('SELECT * FROM datasets WHERE fingerprint = ?'),
    // The statements over `json_each(?)` take a chunk of member hashes as one JSON array (../native/sqlite.ts jsonChunks);
    // CROSS JOIN keeps the chunk the outer loop, so each hash is one primary-key lookup.
    memberOwnerCounts: db.prepare<[string], { dataset_id: string; n: number }>(
      'SELECT m.dataset_id AS dataset_id, COUNT(*) AS n FROM json_each(?) AS j CROSS JOIN members AS m ON m.content_hash = j.value GROUP BY m.dataset_id',
    ),
    members: db.prepare<[string], { content_hash: string }>('SELECT content_hash FROM members WHERE dataset_id = ? ORDER BY content_hash'),
    insertMembers: db.prepare<[string, string]>('INSERT INTO members (content_hash, dataset_id) SELECT value, ? FROM json_each(?)'),
    deleteMembers: db.prepare('DELETE FROM members WHERE dataset_id = ?'),
    insertDataset: db.prepare(
      `INSERT INTO datasets (id, name, created_at, privacy_unit, epsilon_cap, delta, orders, conversion, mechanism, header_hash, fingerprint, member_count,
                             size_lower, size_upper, q, k, filter_order, planned_generations, filter_from_seq)
       VALUES (@id, @name, @created_at, @privacy_unit, @epsilon_cap, @delta, @orders, @conversion, @mechanism, @header_hash, @fingerprint, @member_count,
               @size_lower, @size_upper, @q, @k, @filter_order, @planned_generations, @filter_from_seq)`,
    ),
    historyOwnerCounts: db.prepare<[string], { dataset_id: string; n: number }>(
      'SELECT h.dataset_id AS dataset_id, COUNT(*) AS n FROM json_each(?) AS j CROSS JOIN member_history AS h ON h.content_hash = j.value GROUP BY h.dataset_id',
    ),
    insertHistory: db.prepare<[string, string, string]>('INSERT OR IGNORE INTO member_history (content_hash, dataset_id, first_at) SELECT value, ?, ? FROM json_each(?)'),
    updateMembership: db.prepare('UPDATE datasets SET fingerprint = ?, member_count = ? WHERE id = ?'),
    head: db.prepare<[string], HeadRow>('SELECT count, last_hash FROM heads WHERE dataset_id = ?'),
    insertHead: db.prepare('INSERT INTO heads (dataset_id, count, last_hash) VALUES (?, 0, ?)'),
    updateHead: db.prepare('UPDATE heads SET count = ?, last_hash = ? WHERE dataset_id = ?'),
    lastCharge: db.prepare<[string], ChargeRow>('SELECT * FROM charges WHERE dataset_id = ? ORDER BY seq DESC LIMIT 1'),
    charges: db.prepare<[string], ChargeRow>('SELECT * FROM charges WHERE dataset_id = ? ORDER BY seq'),
    chargeAt: db.prepare<[string, number], ChargeRow>('SELECT * FROM charges WHERE dataset_id = ? AND seq = ?'),
    chargeCount: db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM charges WHERE dataset_id = ?'),
    insertCharge: db.prepare(
      `INSERT INTO charges (dataset_id, seq, receipt_id, created_at, kind, q, sigma, k, lambda, purpose, rdp, cumulative_rdp,
                            epsilon_this_query, cumulative_epsilon, epsilon_order, prev_hash, hash)
       VALUES (@dataset_id, @seq, @receipt_id, @created_at, @kind, @q, @sigma, @k, @lambda, @purpose, @rdp, @cumulative_rdp,
               @epsilon_this_query, @cumulative_epsilon, @epsilon_order, @prev_hash, @hash)`,
    ),
    receipt: db.prepare<[string], { dataset_id: string; seq: number }>('SELECT dataset_id, seq FROM charges WHERE receipt_id = ?'),
    lock: db.prepare('UPDATE datasets SET locked_reason = ?, locked_at = ? WHERE id = ? AND locked_reason IS NULL'),
    unlock: db.prepare('UPDATE datasets SET locked_reason = NULL, locked_at = NULL WHERE id = ?'),
    event: db.prepare('INSERT INTO events (dataset_id, at, kind, detail) VALUES (?, ?, ?, ?)'),
    events: db.prepare<[string], LedgerEvent>('SELECT at, kind, detail FROM events WHERE dataset_id = ? ORDER BY id'),
  };
}

export type LedgerStatements = ReturnType<typeof prepareStatements>;
