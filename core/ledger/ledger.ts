/**
 * The privacy budget ledger (docs/design.md §4–5): one SQLite file, one fixed-order Rényi filter per dataset
 * (./filter.ts states the rule and its theorem).
 *
 * `charge` runs BEGIN IMMEDIATE → read the cumulative RDP at the dataset's order → admit iff the filter does →
 * insert a hash-chained row and move the dataset's head → COMMIT, and only then returns a receipt. The caller
 * may touch private rows only while holding a receipt. A crash before COMMIT leaves no row (and released nothing);
 * a crash after COMMIT costs budget. Nothing is ever refunded or silently reset.
 *
 * Membership history is permanent (member_history): an image that was ever a member of a dataset carries that
 * dataset's cumulative RDP from then on. A dataset that takes in images with history first records an `inherit`
 * row that lifts its cumulative RDP to at least each source's (order by order), so no removal, move, split, merge or
 * re-add ever lowers the spend that covers an image.
 */
import { randomBytes } from 'node:crypto';
import type { SqliteDatabase } from '../native/sqlite.ts';
import { DEFAULT_ORDERS, queryRdp } from '../privacy/index.ts';
import { admits, epsilonOfRdp, isUsableFilter, planFilter, type RenyiFilter } from './filter.ts';
import { describeSizeClass, samplingRateForSizeClass } from './size-class.ts';
import { DatasetNotFoundError, DatasetOverlapError, LedgerClosedError, LedgerCorruptError, LedgerInputError, LedgerLockedError } from './errors.ts';
import { chargeHash, decodeVector, encodeVector, genesisHash, headerHash, membershipFingerprint } from './encoding.ts';
import { isCorruption, openLedgerFile } from './file.ts';
import { historyError, historySources, insertMembers, liftToSources, refuseHistory, refuseOverlap } from './membership.ts';
import { addVectors, datasetInfoOf, fieldsOf, filterOf, headerFieldsOf, parseOrders, recordOf, type ChargeRow, type DatasetRow, type StoredKind } from './rows.ts';
import { currentSchemaVersion } from './schema.ts';
import { prepareStatements, type LedgerStatements } from './statements.ts';
import { CONVERSION, MECHANISM, PRIVACY_UNIT, type ChargeRecord, type ChargeRequest, type CreateDatasetRequest, type CreateDatasetResult, type DatasetInfo, type LedgerEvent, type LedgerReceipt, type OpenLedgerOptions, type PreviewResult, type VerifyProblem, type VerifyReport } from './types.ts';
import { previewOf, receiptOf, refusalOf, type FilterState } from './receipts.ts';
import { tailProblem, verifyRows } from './verify.ts';
import { RECEIPT_ID_PATTERN, requireCreateDataset, requireDatasetId, requireMemberHashes, requireNote, requireQuery } from './validate.ts';

/** Opens (creating when absent) the ledger at `path`. See OpenLedgerOptions. */
export function openLedger(path: string, options: OpenLedgerOptions = {}): Ledger {
  return openLedgerFile(path, options, (db, file, clock) => new Ledger(db, file, clock));
}

export class Ledger {
  readonly path: string;
  private readonly db: SqliteDatabase;
  private readonly clock: () => Date;
  private closed = false;
  private readonly ordersCache = new Map<string, number[]>();
  private readonly stmt: LedgerStatements;

  /** Use openLedger(). */
  constructor(db: SqliteDatabase, path: string, clock: () => Date) {
    this.db = db;
    this.path = path;
    this.clock = clock;
    this.stmt = prepareStatements(db);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Runs `fn`, translating SQLite corruption into LedgerCorruptError. */
  private guard<T>(fn: () => T): T {
    if (this.closed) throw new LedgerClosedError();
    try {
      return fn();
    } catch (error) {
      if (isCorruption(error)) throw new LedgerCorruptError(this.path, `the database is damaged or truncated (${(error as Error).message})`);
      throw error;
    }
  }

  private now(): string {
    const date = this.clock();
    if (!(date instanceof Date) || !Number.isFinite(date.getTime())) throw new LedgerInputError('clock', 'returned an invalid date');
    return date.toISOString();
  }

  private datasetRow(datasetId: string): DatasetRow {
    const row = this.stmt.dataset.get(datasetId);
    if (!row) throw new DatasetNotFoundError(datasetId);
    return row;
  }

  private orders(row: DatasetRow): number[] {
    const cached = this.ordersCache.get(row.orders);
    if (cached) return cached;
    const orders = parseOrders(row.orders);
    if (!orders) throw new LedgerLockedError(row.id, 'its order grid is unreadable');
    this.ordersCache.set(row.orders, orders);
    return orders;
  }

  /** The cumulative RDP vector of a dataset (zeros before its first charge); undefined when unreadable. */
  private cumulativeOf(row: DatasetRow, last: ChargeRow | undefined): Float64Array | undefined {
    const n = this.orders(row).length;
    return last ? decodeVector(last.cumulative_rdp, n) : new Float64Array(n);
  }

  private orderIndex(row: DatasetRow): number {
    const index = this.orders(row).indexOf(row.filter_order);
    if (index < 0) throw new LedgerLockedError(row.id, `its filter order α = ${row.filter_order} is not on its order grid`);
    return index;
  }

  /** The dataset's filter and what it has spent, read once inside the caller's transaction (the tail checked before). */
  private filterState(row: DatasetRow, last: ChargeRow | undefined): FilterState {
    const index = this.orderIndex(row);
    return { row, filter: filterOf(row), orders: this.orders(row), index, spentRdp: this.cumulativeOf(row, last)![index]! };
  }

  private info(row: DatasetRow): DatasetInfo {
    return datasetInfoOf(row, this.cumulativeOf(row, this.stmt.lastCharge.get(row.id)), this.stmt.chargeCount.get(row.id)!.n);
  }

  // ── datasets ────────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Creates a dataset, or returns the existing one when a dataset with exactly these images exists (its spend
   * continues; its parameters stay as they were). Refuses images that belong to another dataset now; images
   * that belonged to one before bring its spend along (see `inherit`).
   */
  createDataset(request: CreateDatasetRequest): CreateDatasetResult {
    const { name, members, epsilonCap, sizeClass, k, generations, delta } = requireCreateDataset(request);
    const q = samplingRateForSizeClass(sizeClass, k);
    const fingerprint = membershipFingerprint(members);
    return this.guard(() =>
      this.db
        .transaction((): CreateDatasetResult => {
          const existing = this.stmt.byFingerprint.get(fingerprint);
          if (existing) return { ...this.info(existing), created: false };
          refuseOverlap(this.stmt, members, undefined);
          const sources = historySources(this.stmt, members, undefined);
          let order: number;
          try {
            order = planFilter({ q, k, generations, epsilonCap, delta }).filter.order;
          } catch {
            throw new LedgerInputError('plannedGenerations', `no noise level makes ${generations} generations fit a cap of ε ${epsilonCap}; plan fewer generations or raise the cap`);
          }
          // Images with history keep being accounted at the order their spend was recorded at.
          const sourceOrders = [...new Set(sources.map((source) => source.filter_order))];
          if (sourceOrders.length > 1) throw historyError(this.stmt, 'orders', sources, members);
          if (sourceOrders.length === 1) order = sourceOrders[0]!;
          const id = `ds_${randomBytes(8).toString('hex')}`;
          const createdAt = this.now();
          const row: DatasetRow = {
            id,
            name,
            created_at: createdAt,
            privacy_unit: PRIVACY_UNIT,
            epsilon_cap: epsilonCap,
            delta,
            orders: JSON.stringify(DEFAULT_ORDERS),
            conversion: CONVERSION,
            mechanism: MECHANISM,
            header_hash: '',
            fingerprint,
            member_count: members.length,
            locked_reason: null,
            locked_at: null,
            size_lower: sizeClass.lower,
            size_upper: sizeClass.upper,
            q,
            k,
            filter_order: order,
            planned_generations: generations,
            filter_from_seq: 1,
          };
          refuseHistory(this.stmt, row, members, sources);
          if (!isUsableFilter(filterOf(row))) throw new LedgerInputError('epsilonCap', `a cap of ε ${epsilonCap} at δ = ${delta} leaves no budget at Rényi order ${order}`);
          row.header_hash = headerHash(headerFieldsOf(row));
          const { locked_reason: _lr, locked_at: _la, ...insert } = row;
          this.stmt.insertDataset.run(insert);
          this.stmt.insertHead.run(id, genesisHash(id));
          this.stmt.event.run(id, createdAt, 'created', `${members.length} images (declared ${describeSizeClass(sizeClass)}), cap ε = ${epsilonCap}, δ = ${delta}, Rényi order α = ${order} for ${generations} planned generations`);
          this.inherit(this.datasetRow(id), members, sources);
          insertMembers(this.stmt, id, members, createdAt);
          return { ...this.info(this.datasetRow(id)), created: true };
        })
        .immediate(),
    );
  }

  /**
   * Lifts the dataset's cumulative RDP to at least every source's, order by order (an `inherit` row in its chain),
   * so the images that come from them keep the spend that already covers them. A source can only be inherited by
   * a dataset at the same filter order whose RDP budget is at least the source's: otherwise the promise made to
   * those images (the source's cap) could not be kept, and the move is refused.
   */
  private inherit(row: DatasetRow, members: readonly string[], sources: readonly DatasetRow[]): void {
    if (sources.length === 0) return;
    refuseHistory(this.stmt, row, members, sources);
    const last = this.stmt.lastCharge.get(row.id);
    const current = this.cumulativeOf(row, last);
    if (!current) throw new LedgerLockedError(row.id, 'its cumulative RDP is unreadable');
    const lift = liftToSources(row, current, sources, (source) => this.cumulativeOf(source, this.stmt.lastCharge.get(source.id)));
    if (!lift) return;
    const index = this.orderIndex(row);
    if (!admits(filterOf(row), current[index]!, lift.increment[index]!)) throw historyError(this.stmt, 'spent', [row, ...sources], members, { counted: sources });
    this.appendCharge(row, last, {
      kind: 'inherit',
      q: 0,
      sigma: 0,
      k: 0,
      lambda: 0,
      purpose: `spend that covers images from ${lift.from.join(', ')}`,
      rdp: lift.increment,
      cumulative: lift.target,
    });
  }

  /**
   * Replaces the member set of a dataset (images added or removed). The ledger is kept — spend stays spent —,
   * images with history elsewhere bring that spend along (`inherit`), and every image stays in the history for
   * good. δ, q and the filter were fixed from the declared size class and do not change, even when N leaves it.
   */
  replaceMembers(datasetId: string, memberHashes: readonly string[], note = 'members changed'): DatasetInfo {
    requireDatasetId(datasetId);
    const members = requireMemberHashes(memberHashes);
    if (typeof note !== 'string' || note.length > 4000) throw new LedgerInputError('note', 'must be a string');
    const fingerprint = membershipFingerprint(members);
    return this.guard(() =>
      this.db
        .transaction((): DatasetInfo => {
          const row = this.datasetRow(datasetId);
          if (row.locked_reason !== null) throw new LedgerLockedError(datasetId, row.locked_reason);
          const clash = this.stmt.byFingerprint.get(fingerprint);
          if (clash && clash.id !== datasetId) throw new DatasetOverlapError([clash.id], members.length);
          refuseOverlap(this.stmt, members, datasetId);
          this.inherit(row, members, historySources(this.stmt, members, datasetId));
          const before = row.member_count;
          const at = this.now();
          this.stmt.deleteMembers.run(datasetId);
          insertMembers(this.stmt, datasetId, members, at);
          this.stmt.updateMembership.run(fingerprint, members.length, datasetId);
          const outside = members.length < row.size_lower || members.length >= row.size_upper;
          this.stmt.event.run(datasetId, at, 'members-replaced', `${before} → ${members.length} images; ${note}${outside ? `; now outside its declared size class (${describeSizeClass({ lower: row.size_lower, upper: row.size_upper })}), whose δ and q it keeps` : ''}`);
          return this.info(this.datasetRow(datasetId));
        })
        .immediate(),
    );
  }

  getDataset(datasetId: string): DatasetInfo {
    requireDatasetId(datasetId);
    return this.guard(() => this.db.transaction(() => this.info(this.datasetRow(datasetId)))());
  }

  listDatasets(): DatasetInfo[] {
    return this.guard(() => this.db.transaction(() => this.stmt.datasets.all().map((row) => this.info(row)))());
  }

  /** The dataset's member hashes, sorted. */
  members(datasetId: string): string[] {
    requireDatasetId(datasetId);
    return this.guard(() => {
      this.datasetRow(datasetId);
      return this.stmt.members.all(datasetId).map((row) => row.content_hash);
    });
  }

  events(datasetId: string): LedgerEvent[] {
    requireDatasetId(datasetId);
    return this.guard(() => {
      this.datasetRow(datasetId);
      return this.stmt.events.all(datasetId);
    });
  }

  // ── charging ────────────────────────────────────────────────────────────────────────────────────────────

  private lockDataset(datasetId: string, reason: string): void {
    this.db
      .transaction(() => {
        const at = this.now();
        if (this.stmt.lock.run(reason, at, datasetId).changes > 0) this.stmt.event.run(datasetId, at, 'locked', reason);
      })
      .immediate();
  }

  /** Inserts the next hash-chained row of a dataset and moves its head (inside the caller's write transaction). */
  private appendCharge(
    row: DatasetRow,
    last: ChargeRow | undefined,
    c: { kind: StoredKind; q: number; sigma: number; k: number; lambda: number; purpose: string; rdp: readonly number[]; cumulative: readonly number[] },
  ): { seq: number; receiptId: string; createdAt: string; cost: number; used: number; hash: string } {
    const filter = filterOf(row);
    const index = this.orderIndex(row);
    const seq = (last?.seq ?? 0) + 1;
    const charge: ChargeRow = {
      dataset_id: row.id,
      seq,
      receipt_id: `rc_${randomBytes(12).toString('hex')}`,
      created_at: this.now(),
      kind: c.kind,
      q: c.q,
      sigma: c.sigma,
      k: c.k,
      lambda: c.lambda,
      purpose: c.purpose,
      rdp: encodeVector(c.rdp),
      cumulative_rdp: encodeVector(c.cumulative),
      epsilon_this_query: epsilonOfRdp(filter, c.rdp[index]!),
      cumulative_epsilon: epsilonOfRdp(filter, c.cumulative[index]!),
      epsilon_order: filter.order,
      prev_hash: last ? last.hash : genesisHash(row.id),
      hash: '',
    };
    const hash = chargeHash(fieldsOf(charge)); // the hash covers every field but itself
    this.stmt.insertCharge.run({ ...charge, hash });
    this.stmt.updateHead.run(seq, hash, row.id);
    return { seq, receiptId: charge.receipt_id, createdAt: charge.created_at, cost: charge.epsilon_this_query, used: charge.cumulative_epsilon, hash };
  }

  /**
   * Admits the query (the dataset's Rényi filter, ./filter.ts) and records it, atomically. Returns the receipt that
   * authorises touching private rows. Throws BudgetExceededError (nothing written), LedgerLockedError,
   * LedgerInputError, DatasetNotFoundError.
   */
  charge(datasetId: string, query: ChargeRequest): LedgerReceipt {
    requireDatasetId(datasetId);
    const valid = requireQuery(query);
    return this.guard(() => {
      const row0 = this.datasetRow(datasetId);
      const orders = this.orders(row0);
      const rdp = queryRdp(valid, orders);
      type Outcome =
        | { kind: 'admitted'; receipt: LedgerReceipt }
        | { kind: 'refused'; filter: RenyiFilter; spentRdp: number; rho: number }
        | { kind: 'damaged'; reason: string }
        | { kind: 'locked'; reason: string };
      const outcome = this.db
        .transaction((): Outcome => {
          const row = this.datasetRow(datasetId);
          if (row.locked_reason !== null) return { kind: 'locked', reason: row.locked_reason };
          if (row.orders !== row0.orders) return { kind: 'damaged', reason: 'its order grid changed' };
          const head = this.stmt.head.get(datasetId);
          const last = this.stmt.lastCharge.get(datasetId);
          const problem = tailProblem(row, orders, head, last);
          if (problem) return { kind: 'damaged', reason: `integrity check before charging failed: ${problem}` };
          const state = this.filterState(row, last);
          if (!admits(state.filter, state.spentRdp, rdp[state.index]!)) return { kind: 'refused', filter: state.filter, spentRdp: state.spentRdp, rho: rdp[state.index]! };
          const next = addVectors(Array.from(this.cumulativeOf(row, last)!), rdp);
          const written = this.appendCharge(row, last, { ...valid, rdp, cumulative: next });
          return { kind: 'admitted', receipt: receiptOf(state, valid, rdp, written) };
        })
        .immediate();
      switch (outcome.kind) {
        case 'admitted':
          return outcome.receipt;
        case 'locked':
          throw new LedgerLockedError(datasetId, outcome.reason);
        case 'damaged':
          this.lockDataset(datasetId, outcome.reason);
          throw new LedgerLockedError(datasetId, outcome.reason);
        case 'refused':
          throw refusalOf(datasetId, outcome.filter, outcome.spentRdp, outcome.rho, valid);
      }
    });
  }

  /** Answers what `charge` would do, without writing. */
  preview(datasetId: string, query: ChargeRequest): PreviewResult {
    requireDatasetId(datasetId);
    const valid = requireQuery(query);
    return this.guard(() =>
      this.db.transaction((): PreviewResult => {
        const row = this.datasetRow(datasetId);
        const orders = this.orders(row);
        const last = this.stmt.lastCharge.get(datasetId);
        const problem = tailProblem(row, orders, this.stmt.head.get(datasetId), last);
        // charge would lock the dataset for this; preview only reads, and says it would be refused
        if (problem) throw new LedgerLockedError(datasetId, `integrity check failed: ${problem}`);
        return previewOf(this.filterState(row, last), queryRdp(valid, orders));
      })(),
    );
  }

  /** The dataset's chain head: the last entry's sequence number and hash (0 and the genesis hash before any). */
  head(datasetId: string): { seq: number; hash: string } {
    requireDatasetId(datasetId);
    return this.guard(() => {
      this.datasetRow(datasetId);
      const head = this.stmt.head.get(datasetId);
      if (!head) throw new LedgerLockedError(datasetId, 'the head record is missing');
      return { seq: head.count, hash: head.last_hash };
    });
  }

  /**
   * Whether entry #seq of the dataset is still stored with this hash and the chain up to the current head still
   * verifies: an export's receipt of a head that was later rolled back or rewritten fails this.
   */
  holdsHead(datasetId: string, seq: number, hash: string): boolean {
    requireDatasetId(datasetId);
    if (!Number.isSafeInteger(seq) || seq < 0 || typeof hash !== 'string') return false;
    return this.guard(() => {
      if (seq === 0) return hash === genesisHash(datasetId);
      const row = this.stmt.chargeAt.get(datasetId, seq);
      return row !== undefined && row.hash === hash && this.inspect(datasetId).problems.length === 0;
    });
  }

  /** Whether `receiptId` is a committed charge (of `datasetId`, when given). */
  hasReceipt(receiptId: string, datasetId?: string): boolean {
    if (typeof receiptId !== 'string' || !RECEIPT_ID_PATTERN.test(receiptId)) throw new LedgerInputError('receiptId', 'must look like "rc_" followed by 24 hex digits');
    if (datasetId !== undefined) requireDatasetId(datasetId);
    return this.guard(() => {
      const row = this.stmt.receipt.get(receiptId);
      return row !== undefined && (datasetId === undefined || row.dataset_id === datasetId);
    });
  }

  /** Every charge of a dataset, oldest first. */
  charges(datasetId: string): ChargeRecord[] {
    requireDatasetId(datasetId);
    return this.guard(() =>
      this.db.transaction(() => {
        const row = this.datasetRow(datasetId);
        const n = parseOrders(row.orders)?.length ?? 0;
        return this.stmt.charges.all(datasetId).map((c) => recordOf(c, n));
      })(),
    );
  }

  // ── verification ────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Recomputes the hash chain, every query's RDP, the cumulative RDP and ε, the head record, the header and the
   * membership fingerprint. A failure locks the dataset (recorded as an event) and is reported, never repaired.
   */
  verify(datasetId: string): VerifyReport {
    requireDatasetId(datasetId);
    return this.guard(() => {
      const { problems, count, spent } = this.inspect(datasetId);
      const first = problems[0];
      if (first) {
        const where = first.seq === null ? '' : `charge #${first.seq}: `;
        try {
          this.lockDataset(datasetId, `verification failed (${where}${first.problem})`);
        } catch (error) {
          if (!isCorruption(error)) throw error;
        }
      }
      let locked = first !== undefined;
      let lockedReason: string | undefined = first ? `verification failed (${first.problem})` : undefined;
      try {
        const row = this.stmt.dataset.get(datasetId);
        if (row) {
          locked = row.locked_reason !== null || locked;
          lockedReason = row.locked_reason ?? lockedReason;
        }
      } catch (error) {
        if (!isCorruption(error)) throw error;
      }
      return Object.freeze({ ok: first === undefined, datasetId, charges: count, cumulativeEpsilon: spent, firstBadRow: first, problems, locked, lockedReason });
    });
  }

  /** The checks of `verify`, without locking (runs in one read snapshot, or inside the caller's transaction). */
  private inspect(datasetId: string): { problems: VerifyProblem[]; count: number; spent: number } {
    const problems: VerifyProblem[] = [];
    let count = 0;
    let spent = 0;
    try {
      this.db.transaction(() => {
        const row = this.datasetRow(datasetId);
        const integrity = this.db.pragma('integrity_check') as { integrity_check: string }[];
        if (integrity.length !== 1 || integrity[0]!.integrity_check !== 'ok') {
          problems.push({ seq: null, problem: `SQLite integrity check failed: ${integrity.map((r) => r.integrity_check).slice(0, 3).join('; ')}` });
        }
        const result = verifyRows(row, this.stmt.charges.all(datasetId), this.stmt.head.get(datasetId), this.stmt.members.all(datasetId).map((m) => m.content_hash));
        problems.push(...result.problems);
        count = result.count;
        spent = result.spent;
      })();
    } catch (error) {
      if (!isCorruption(error)) throw error;
      problems.push({ seq: null, problem: `the database is damaged or truncated (${(error as Error).message})` });
    }
    return { problems, count, spent };
  }

  /**
   * The curator's explicit act after restoring or inspecting a damaged ledger. Re-verifies inside the same write
   * transaction (no window in which another process could charge a still-broken ledger); refuses while verification
   * still fails unless `force` (the forced unlock is recorded with the note). Never resets spend.
   */
  unlock(datasetId: string, note: string, options: { force?: boolean } = {}): DatasetInfo {
    requireDatasetId(datasetId);
    const reason = requireNote(note);
    if (typeof options !== 'object' || options === null) throw new LedgerInputError('options', 'must be an object {force?}');
    return this.guard(() => {
      const failure = this.db
        .transaction((): string | undefined => {
          const row = this.datasetRow(datasetId);
          if (row.locked_reason === null) return undefined;
          const { problems } = this.inspect(datasetId);
          if (problems.length > 0 && options.force !== true) return problems[0]!.problem;
          this.stmt.unlock.run(datasetId);
          this.stmt.event.run(datasetId, this.now(), problems.length === 0 ? 'unlocked' : 'force-unlocked', `was: ${row.locked_reason}; curator: ${reason}`);
          return undefined;
        })
        .immediate();
      if (failure !== undefined) {
        throw new LedgerLockedError(datasetId, `verification still fails (${failure}); restore the ledger from a backup, or unlock with force after review`);
      }
      return this.info(this.datasetRow(datasetId));
    });
  }

  /** The connection's SQLite settings and the schema version (diagnostics and tests). */
  settings(): { journalMode: string; synchronous: string; foreignKeys: boolean; busyTimeoutMs: number; schemaVersion: number } {
    return this.guard(() => {
      const synchronous = Number(this.db.pragma('synchronous', { simple: true }));
      return {
        journalMode: String(this.db.pragma('journal_mode', { simple: true })),
        synchronous: ['OFF', 'NORMAL', 'FULL', 'EXTRA'][synchronous] ?? String(synchronous),
        foreignKeys: Number(this.db.pragma('foreign_keys', { simple: true })) === 1,
        busyTimeoutMs: Number(this.db.pragma('busy_timeout', { simple: true })),
        schemaVersion: currentSchemaVersion(this.db),
      };
    });
  }

  /** `PRAGMA integrity_check` of the whole file ("ok" or the problems). */
  integrityCheck(): string[] {
    return this.guard(() => (this.db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check));
  }
}
