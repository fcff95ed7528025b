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
import { closeSync, existsSync, linkSync, mkdirSync, openSync, readSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { openSqlite, type SqliteDatabase } from '../native/sqlite.ts';
import { DEFAULT_ORDERS, epsilonFromRdp, queryRdp } from '../privacy/index.ts';
import {
  MAX_COUNTED_QUERIES,
  admits,
  epsilonOfRdp,
  isUsableFilter,
  planFilter,
  queriesThatFit,
  rdpBudget,
  remainingEpsilon,
  sigmaThatFits,
  type RenyiFilter,
} from './filter.ts';
import { DEFAULT_PLANNED_GENERATIONS, deltaForSizeClass, describeSizeClass, isSizeClass, samplingRateForSizeClass, sizeClassOf, type SizeClass } from './size-class.ts';
import {
  BudgetExceededError,
  DatasetHistoryError,
  DatasetNotFoundError,
  DatasetOverlapError,
  LedgerClosedError,
  LedgerCorruptError,
  LedgerInputError,
  LedgerLockedError,
  LedgerSchemaError,
} from './errors.ts';
import { chargeHash, decodeVector, encodeVector, genesisHash, headerHash, membershipFingerprint } from './encoding.ts';
import { checkLedgerLocation } from './location.ts';
import { LATEST_SCHEMA_VERSION, currentSchemaVersion, hasSchemaTable, migrate } from './schema.ts';
import {
  RECEIPT_ID_PATTERN,
  requireDatasetId,
  requireDelta,
  requireEpsilonCap,
  requireMemberHashes,
  requireName,
  requireNote,
  requireQuery,
  type ChargeKind,
  type ValidQuery,
} from './validate.ts';

export const PRIVACY_UNIT = 'image';
export const MECHANISM = 'dp-rdm-retrieval: Poisson subsampling (rate q), mean of k neighbours clipped to norm 1 (sensitivity 2/k), Gaussian noise σ';
export const ACCOUNTANT =
  'Rényi DP of the Poisson-subsampled Gaussian (Mironov, Talwar & Zhang 2019) at one order fixed per dataset; admission by the Rényi filter at that order (Feldman & Zrnic 2021); (ε, δ) by Balle et al. (2020)';
export const CONVERSION = 'improved';
export { MAX_COUNTED_QUERIES };
const SQLITE_HEADER = Buffer.from('SQLite format 3\u0000', 'latin1');

export interface OpenLedgerOptions {
  /** Private image folders: a ledger path inside any of them is refused. */
  readonly forbiddenRoots?: readonly string[];
  /** How long a writer waits for another process's transaction (default 10 s). */
  readonly busyTimeoutMs?: number;
  /** Only for tests of the detection itself; the studio never sets it. */
  readonly allowNetworkFileSystem?: boolean;
  /** Injected clock (tests). */
  readonly clock?: () => Date;
  /** Skip `PRAGMA quick_check` on open (benchmarks of open time only). */
  readonly skipQuickCheck?: boolean;
}

export interface CreateDatasetRequest {
  readonly name: string;
  /** sha256 (lower-case hex) of every image's content. */
  readonly memberHashes: readonly string[];
  readonly epsilonCap: number;
  /** The size class the curator confirms (default: the class of the current size). */
  readonly sizeClass?: SizeClass;
  /** Neighbours per query the workload is planned for (default 8). */
  readonly k?: number;
  /** How many generations the cap is planned for; fixes the filter's order (default DEFAULT_PLANNED_GENERATIONS). */
  readonly plannedGenerations?: number;
  /** At most the class's δ (default: the class's δ). */
  readonly delta?: number;
}

export interface DatasetInfo {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
  readonly privacyUnit: string;
  readonly epsilonCap: number;
  readonly delta: number;
  readonly orders: readonly number[];
  readonly conversion: string;
  readonly mechanism: string;
  /** The dataset's Rényi filter: its fixed order, cap and δ. */
  readonly filter: RenyiFilter;
  /** RDP the filter admits at its order. */
  readonly rdpBudget: number;
  /** RDP spent at the filter's order. */
  readonly spentRdp: number;
  readonly sizeClass: SizeClass;
  /** The planned sampling rate and neighbours (fixed at creation, public). */
  readonly q: number;
  readonly k: number;
  readonly plannedGenerations: number;
  /** The first charge admitted by this filter (earlier ones by schema 1's rule). */
  readonly filterFromSeq: number;
  /** Internal only (index ↔ ledger agreement); never in any output: it is a function of the members' content. */
  readonly fingerprint: string;
  readonly memberCount: number;
  readonly charges: number;
  /** ε used: the share of the cap the spent RDP represents (./filter.ts). */
  readonly cumulativeEpsilon: number;
  readonly remainingEpsilon: number;
  readonly locked: boolean;
  readonly lockedReason: string | undefined;
  readonly lockedAt: string | undefined;
}

export interface CreateDatasetResult extends DatasetInfo {
  /** False when a dataset with exactly these images already existed: its spend continues. */
  readonly created: boolean;
}

export interface ChargeRequest {
  readonly q: number;
  readonly sigma: number;
  readonly k: number;
  /** Mixing weight of the private aggregate (costs nothing extra; recorded). Default 1. */
  readonly lambda?: number;
  /** The prompt or purpose (never file names or paths). */
  readonly purpose?: string;
  /** 'release' (default) or 'audit' (a non-released evaluation query; costs the same). */
  readonly kind?: ChargeKind;
}

export interface LedgerReceipt {
  readonly receiptId: string;
  readonly datasetId: string;
  readonly seq: number;
  readonly createdAt: string;
  readonly kind: ChargeKind;
  readonly q: number;
  readonly sigma: number;
  readonly k: number;
  readonly lambda: number;
  readonly noiseMultiplier: number;
  readonly purpose: string;
  /** What this query cost: the decrease of the remaining ε. */
  readonly epsilonCost: number;
  /** Technical detail: this query alone, as an (ε, δ) guarantee at the dataset's δ (best order of the grid). */
  readonly standaloneEpsilon: number;
  readonly cumulativeEpsilon: number;
  readonly remainingEpsilon: number;
  readonly epsilonCap: number;
  readonly delta: number;
  /** The dataset's fixed Rényi order. */
  readonly order: number;
  readonly hash: string;
}

export interface PreviewResult {
  readonly datasetId: string;
  readonly admissible: boolean;
  readonly locked: boolean;
  /** What this query would cost (the decrease of the remaining ε). */
  readonly epsilonCost: number;
  /** Technical detail: this query alone as an (ε, δ) guarantee. */
  readonly standaloneEpsilon: number;
  readonly cumulativeEpsilonBefore: number;
  /** The ε used after this query (above the cap when it does not fit). */
  readonly cumulativeEpsilonAfter: number;
  readonly remainingEpsilonBefore: number;
  /** Remaining ε after this query; 0 when it does not fit. */
  readonly remainingEpsilonAfter: number;
  /** How many queries identical to this one fit from now (this one included), up to MAX_COUNTED_QUERIES. */
  readonly identicalQueriesThatFit: number;
  readonly epsilonCap: number;
  readonly delta: number;
  readonly order: number;
}

export interface ChargeRecord {
  readonly seq: number;
  readonly receiptId: string;
  readonly createdAt: string;
  readonly kind: ChargeKind;
  readonly q: number;
  readonly sigma: number;
  readonly k: number;
  readonly lambda: number;
  readonly purpose: string;
  readonly rdp: readonly number[];
  readonly cumulativeRdp: readonly number[];
  /** What the charge cost (ε); for charges before the filter's first, schema 1's per-query ε. */
  readonly epsilonCost: number;
  readonly cumulativeEpsilon: number;
  readonly order: number;
  readonly prevHash: string;
  readonly hash: string;
}

export interface VerifyProblem {
  /** The charge's sequence number (1-based), or null for the dataset header / file / head record. */
  readonly seq: number | null;
  readonly receiptId?: string;
  readonly problem: string;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly datasetId: string;
  readonly charges: number;
  readonly cumulativeEpsilon: number;
  readonly firstBadRow: VerifyProblem | undefined;
  readonly problems: readonly VerifyProblem[];
  /** Whether the dataset is locked after verification (a failure locks it). */
  readonly locked: boolean;
  readonly lockedReason: string | undefined;
}

export interface LedgerEvent {
  readonly at: string;
  readonly kind: string;
  readonly detail: string;
}

interface DatasetRow {
  id: string;
  name: string;
  created_at: string;
  privacy_unit: string;
  epsilon_cap: number;
  delta: number;
  orders: string;
  conversion: string;
  mechanism: string;
  header_hash: string;
  fingerprint: string;
  member_count: number;
  locked_reason: string | null;
  locked_at: string | null;
  size_lower: number;
  size_upper: number;
  q: number;
  k: number;
  filter_order: number;
  planned_generations: number;
  filter_from_seq: number;
}

interface ChargeRow {
  dataset_id: string;
  seq: number;
  receipt_id: string;
  created_at: string;
  kind: string;
  q: number;
  sigma: number;
  k: number;
  lambda: number;
  purpose: string;
  rdp: Buffer;
  cumulative_rdp: Buffer;
  epsilon_this_query: number;
  cumulative_epsilon: number;
  epsilon_order: number;
  prev_hash: string;
  hash: string;
}

interface HeadRow {
  count: number;
  last_hash: string;
}

function isCorruption(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_IOERR_SHORT_READ'));
}

function parseOrders(text: string): number[] | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    if (!Array.isArray(parsed) || parsed.length === 0) return undefined;
    for (const order of parsed) if (typeof order !== 'number' || !(order > 1 && order < Infinity)) return undefined;
    return parsed as number[];
  } catch {
    return undefined;
  }
}

function addVectors(a: ArrayLike<number>, b: ArrayLike<number>, times = 1): number[] {
  const out = new Array<number>(a.length);
  for (let i = 0; i < a.length; i++) {
    const sum = a[i]! + times * b[i]!;
    out[i] = sum >= 0 ? sum : Infinity;
  }
  return out;
}

function filterOf(row: DatasetRow): RenyiFilter {
  return { order: row.filter_order, epsilonCap: row.epsilon_cap, delta: row.delta };
}

function headerFieldsOf(row: DatasetRow) {
  return {
    id: row.id,
    createdAt: row.created_at,
    privacyUnit: row.privacy_unit,
    epsilonCap: row.epsilon_cap,
    delta: row.delta,
    orders: row.orders,
    conversion: row.conversion,
    mechanism: row.mechanism,
    sizeLower: row.size_lower,
    sizeUpper: row.size_upper,
    q: row.q,
    k: row.k,
    filterOrder: row.filter_order,
    plannedGenerations: row.planned_generations,
    filterFromSeq: row.filter_from_seq,
  };
}

/** The (ε, δ) of one query on its own (a technical detail shown beside its cost). */
function standaloneEpsilon(rdp: readonly number[], orders: readonly number[], delta: number): number {
  return epsilonFromRdp(rdp, orders, delta).epsilon;
}

function nearlyEqual(stored: number, recomputed: number): boolean {
  if (stored === recomputed) return true;
  if (!Number.isFinite(stored) || !Number.isFinite(recomputed)) return false;
  return Math.abs(stored - recomputed) <= 1e-9 * Math.max(1e-12, Math.abs(recomputed));
}

/** Opens (creating when absent) the ledger at `path`. See OpenLedgerOptions. */
export function openLedger(path: string, options: OpenLedgerOptions = {}): Ledger {
  if (typeof path !== 'string' || path.length === 0 || path.includes('\u0000')) throw new LedgerInputError('path', 'must be a non-empty file path');
  if (path === ':memory:') throw new LedgerInputError('path', 'the ledger must be a file on disk (an in-memory ledger forgets the spend)');
  const forbiddenRoots = options.forbiddenRoots ?? [];
  if (!Array.isArray(forbiddenRoots) || forbiddenRoots.some((root) => typeof root !== 'string')) {
    throw new LedgerInputError('forbiddenRoots', 'must be an array of folder paths');
  }
  const busy = options.busyTimeoutMs ?? 10_000;
  if (!Number.isSafeInteger(busy) || !(busy >= 0 && busy <= 600_000)) throw new LedgerInputError('busyTimeoutMs', 'must be an integer in [0, 600000]');
  const file = resolve(path);
  checkLedgerLocation(file, forbiddenRoots, true); // before creating anything: never write into a private folder
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  checkLedgerLocation(file, forbiddenRoots, options.allowNetworkFileSystem === true);
  const clock = options.clock ?? (() => new Date());
  if (!existsSync(file)) createLedgerFile(file, clock);
  checkFileHeader(file);
  let db: SqliteDatabase;
  try {
    db = openSqlite(file, { fileMustExist: true, timeout: busy });
  } catch (error) {
    if (isCorruption(error)) throw new LedgerCorruptError(file, (error as Error).message);
    throw error;
  }
  try {
    configure(db, file);
    if (!hasSchemaTable(db)) throw new LedgerCorruptError(file, 'it is not a DP-RDM ledger (no schema_version table)');
    const version = currentSchemaVersion(db);
    if (version > LATEST_SCHEMA_VERSION) throw new LedgerSchemaError(file, version, LATEST_SCHEMA_VERSION);
    if (version < LATEST_SCHEMA_VERSION) db.transaction(() => migrate(db, clock().toISOString())).immediate();
    if (options.skipQuickCheck !== true) {
      const rows = db.pragma('quick_check') as { quick_check: string }[];
      if (rows.length !== 1 || rows[0]!.quick_check !== 'ok') {
        throw new LedgerCorruptError(file, `SQLite's integrity check failed (${rows.map((r) => r.quick_check).slice(0, 3).join('; ')})`);
      }
    }
    return new Ledger(db, file, clock);
  } catch (error) {
    db.close();
    if (isCorruption(error)) throw new LedgerCorruptError(file, `the database is damaged or truncated (${(error as Error).message})`);
    throw error;
  }
}

function configure(db: SqliteDatabase, file: string): void {
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal') throw new LedgerCorruptError(file, `could not switch to WAL journaling (got ${String(mode)})`);
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
}

/** A new ledger is built under a temporary name and linked into place, so a crash never leaves an empty "ledger". */
function createLedgerFile(file: string, clock: () => Date): void {
  const temp = join(dirname(file), `.ledger-init-${randomBytes(8).toString('hex')}.sqlite`);
  const db = openSqlite(temp);
  try {
    configure(db, temp);
    db.transaction(() => migrate(db, clock().toISOString())).immediate();
  } finally {
    db.close();
  }
  try {
    linkSync(temp, file); // fails with EEXIST when another process created it first: then use theirs
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST') {
      // a file system without hard links: rename (a narrow race with a concurrent creator, never an overwrite of data)
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error;
      if (!existsSync(file)) renameSync(temp, file);
    }
  } finally {
    for (const leftover of [temp, `${temp}-wal`, `${temp}-shm`]) {
      try {
        unlinkSync(leftover);
      } catch {
        // already gone
      }
    }
  }
}

function checkFileHeader(file: string): void {
  const size = statSync(file).size;
  if (size < 512) throw new LedgerCorruptError(file, `the file is ${size} bytes long: it was truncated or is not a ledger`);
  const header = Buffer.alloc(16);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, header, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  if (!header.equals(SQLITE_HEADER)) throw new LedgerCorruptError(file, 'the file is not an SQLite database (damaged header)');
}

export class Ledger {
  readonly path: string;
  private readonly db: SqliteDatabase;
  private readonly clock: () => Date;
  private closed = false;
  private readonly ordersCache = new Map<string, number[]>();
  private readonly stmt;

  /** Use openLedger(). */
  constructor(db: SqliteDatabase, path: string, clock: () => Date) {
    this.db = db;
    this.path = path;
    this.clock = clock;
    this.stmt = {
      dataset: db.prepare<[string], DatasetRow>('SELECT * FROM datasets WHERE id = ?'),
      datasets: db.prepare<[], DatasetRow>('SELECT * FROM datasets ORDER BY created_at, id'),
      byFingerprint: db.prepare<[string], DatasetRow>('SELECT * FROM datasets WHERE fingerprint = ?'),
      memberOwner: db.prepare<[string], { dataset_id: string }>('SELECT dataset_id FROM members WHERE content_hash = ?'),
      members: db.prepare<[string], { content_hash: string }>('SELECT content_hash FROM members WHERE dataset_id = ? ORDER BY content_hash'),
      insertMember: db.prepare('INSERT INTO members (content_hash, dataset_id) VALUES (?, ?)'),
      deleteMembers: db.prepare('DELETE FROM members WHERE dataset_id = ?'),
      insertDataset: db.prepare(
        `INSERT INTO datasets (id, name, created_at, privacy_unit, epsilon_cap, delta, orders, conversion, mechanism, header_hash, fingerprint, member_count,
                               size_lower, size_upper, q, k, filter_order, planned_generations, filter_from_seq)
         VALUES (@id, @name, @created_at, @privacy_unit, @epsilon_cap, @delta, @orders, @conversion, @mechanism, @header_hash, @fingerprint, @member_count,
                 @size_lower, @size_upper, @q, @k, @filter_order, @planned_generations, @filter_from_seq)`,
      ),
      historyOwners: db.prepare<[string], { dataset_id: string }>('SELECT dataset_id FROM member_history WHERE content_hash = ?'),
      insertHistory: db.prepare('INSERT OR IGNORE INTO member_history (content_hash, dataset_id, first_at) VALUES (?, ?, ?)'),
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

  private info(row: DatasetRow): DatasetInfo {
    const last = this.stmt.lastCharge.get(row.id);
    const filter = filterOf(row);
    const cumulative = this.cumulativeOf(row, last);
    const index = this.orders(row).indexOf(row.filter_order);
    const spentRdp = cumulative && index >= 0 ? cumulative[index]! : Infinity;
    const used = spentRdp === 0 ? 0 : epsilonOfRdp(filter, spentRdp);
    return Object.freeze({
      id: row.id,
      name: row.name,
      createdAt: row.created_at,
      privacyUnit: row.privacy_unit,
      epsilonCap: row.epsilon_cap,
      delta: row.delta,
      orders: Object.freeze(parseOrders(row.orders) ?? []),
      conversion: row.conversion,
      mechanism: row.mechanism,
      filter: Object.freeze(filter),
      rdpBudget: rdpBudget(filter),
      spentRdp,
      sizeClass: Object.freeze({ lower: row.size_lower, upper: row.size_upper }),
      q: row.q,
      k: row.k,
      plannedGenerations: row.planned_generations,
      filterFromSeq: row.filter_from_seq,
      fingerprint: row.fingerprint,
      memberCount: row.member_count,
      charges: this.stmt.chargeCount.get(row.id)!.n,
      cumulativeEpsilon: used,
      remainingEpsilon: remainingEpsilon(filter, spentRdp),
      locked: row.locked_reason !== null,
      lockedReason: row.locked_reason ?? undefined,
      lockedAt: row.locked_at ?? undefined,
    });
  }

  // ── datasets ────────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Creates a dataset, or returns the existing one when a dataset with exactly these images exists (its spend
   * continues; its parameters stay as they were). Refuses images that belong to another dataset now; images
   * that belonged to one before bring its spend along (see `inherit`).
   */
  createDataset(request: CreateDatasetRequest): CreateDatasetResult {
    if (typeof request !== 'object' || request === null) throw new LedgerInputError('request', 'must be an object {name, memberHashes, epsilonCap, sizeClass?, k?, plannedGenerations?, delta?}');
    const name = requireName(request.name);
    const members = requireMemberHashes(request.memberHashes);
    const epsilonCap = requireEpsilonCap(request.epsilonCap);
    const sizeClass = request.sizeClass ?? sizeClassOf(members.length);
    if (typeof sizeClass !== 'object' || sizeClass === null || !isSizeClass(sizeClass)) {
      throw new LedgerInputError('sizeClass', 'must be one of the size classes (1–2–5 series: {lower: 1000, upper: 2000}, {lower: 2000, upper: 5000}, …)');
    }
    const k = request.k ?? 8;
    if (!(Number.isSafeInteger(k) && k >= 1 && k <= 100_000)) throw new LedgerInputError('k', `must be an integer in [1, 100000], got ${String(k)}`);
    const generations = request.plannedGenerations ?? DEFAULT_PLANNED_GENERATIONS;
    if (!(Number.isSafeInteger(generations) && generations >= 1 && generations <= 1_000_000)) {
      throw new LedgerInputError('plannedGenerations', `must be an integer in [1, 1000000], got ${String(generations)}`);
    }
    const delta = request.delta === undefined ? deltaForSizeClass(sizeClass) : requireDelta(request.delta, deltaForSizeClass(sizeClass));
    const q = samplingRateForSizeClass(sizeClass, k);
    const fingerprint = membershipFingerprint(members);
    return this.guard(() =>
      this.db
        .transaction((): CreateDatasetResult => {
          const existing = this.stmt.byFingerprint.get(fingerprint);
          if (existing) return { ...this.info(existing), created: false };
          this.refuseOverlap(members, undefined);
          const sources = this.historySources(members, undefined);
          let order: number;
          try {
            order = planFilter({ q, k, generations, epsilonCap, delta }).filter.order;
          } catch {
            throw new LedgerInputError('plannedGenerations', `no noise level makes ${generations} generations fit a cap of ε ${epsilonCap}; plan fewer generations or raise the cap`);
          }
          // Images with history keep being accounted at the order their spend was recorded at.
          const sourceOrders = [...new Set(sources.map((source) => source.filter_order))];
          if (sourceOrders.length > 1) throw historyError('orders', sources, this.historyCounts(members, sources));
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
          this.refuseHistory(row, members, sources);
          if (!isUsableFilter(filterOf(row))) throw new LedgerInputError('epsilonCap', `a cap of ε ${epsilonCap} at δ = ${delta} leaves no budget at Rényi order ${order}`);
          row.header_hash = headerHash(headerFieldsOf(row));
          const { locked_reason: _lr, locked_at: _la, ...insert } = row;
          this.stmt.insertDataset.run(insert);
          this.stmt.insertHead.run(id, genesisHash(id));
          this.stmt.event.run(id, createdAt, 'created', `${members.length} images (declared ${describeSizeClass(sizeClass)}), cap ε = ${epsilonCap}, δ = ${delta}, Rényi order α = ${order} for ${generations} planned generations`);
          this.inherit(this.datasetRow(id), members, sources);
          for (const hash of members) this.stmt.insertMember.run(hash, id);
          this.recordHistory(id, members, createdAt);
          return { ...this.info(this.datasetRow(id)), created: true };
        })
        .immediate(),
    );
  }

  private refuseOverlap(members: readonly string[], self: string | undefined): void {
    const others = new Map<string, number>();
    for (const hash of members) {
      const owner = this.stmt.memberOwner.get(hash);
      if (owner && owner.dataset_id !== self) others.set(owner.dataset_id, (others.get(owner.dataset_id) ?? 0) + 1);
    }
    if (others.size > 0) throw new DatasetOverlapError([...others.keys()], [...others.values()].reduce((a, b) => a + b, 0));
  }

  /** Every other dataset any of these images ever belonged to. */
  private historySources(members: readonly string[], self: string | undefined): DatasetRow[] {
    const ids = new Set<string>();
    for (const hash of members) for (const { dataset_id } of this.stmt.historyOwners.all(hash)) if (dataset_id !== self) ids.add(dataset_id);
    return [...ids].sort().map((id) => this.datasetRow(id));
  }

  private historyCounts(members: readonly string[], sources: readonly DatasetRow[]): Map<string, number> {
    const wanted = new Set(sources.map((s) => s.id));
    const counts = new Map<string, number>();
    for (const hash of members) for (const { dataset_id } of this.stmt.historyOwners.all(hash)) if (wanted.has(dataset_id)) counts.set(dataset_id, (counts.get(dataset_id) ?? 0) + 1);
    return counts;
  }

  private recordHistory(datasetId: string, members: readonly string[], at: string): void {
    for (const hash of members) this.stmt.insertHistory.run(hash, datasetId, at);
  }

  /**
   * Lifts the dataset's cumulative RDP to at least every source's, order by order (an `inherit` row in its chain),
   * so the images that come from them keep the spend that already covers them. A source can only be inherited by
   * a dataset at the same filter order whose RDP budget is at least the source's: otherwise the promise made to
   * those images (the source's cap) could not be kept, and the move is refused.
   */
  private inherit(row: DatasetRow, members: readonly string[], sources: readonly DatasetRow[]): void {
    if (sources.length === 0) return;
    const filter = filterOf(row);
    const orders = this.orders(row);
    this.refuseHistory(row, members, sources);
    const last = this.stmt.lastCharge.get(row.id);
    const current = this.cumulativeOf(row, last);
    if (!current) throw new LedgerLockedError(row.id, 'its cumulative RDP is unreadable');
    const target = Array.from(current);
    const from: string[] = [];
    for (const source of sources) {
      if (source.orders !== row.orders) throw new LedgerLockedError(row.id, `dataset ${source.id} uses another order grid`);
      const spent = this.cumulativeOf(source, this.stmt.lastCharge.get(source.id));
      if (!spent) throw new LedgerLockedError(source.id, 'its cumulative RDP is unreadable');
      let lifts = false;
      for (let i = 0; i < orders.length; i++) {
        if (spent[i]! > target[i]!) {
          target[i] = spent[i]!;
          lifts = true;
        }
      }
      if (lifts) from.push(source.id);
    }
    if (from.length === 0) return;
    const increment = target.map((v, i) => v - current[i]!);
    const index = this.orderIndex(row);
    if (!admits(filter, current[index]!, increment[index]!)) throw historyError('spent', [row, ...sources], this.historyCounts(members, sources));
    this.appendCharge(row, last, {
      kind: 'inherit',
      q: 0,
      sigma: 0,
      k: 0,
      lambda: 0,
      purpose: `spend that covers images from ${from.join(', ')}`,
      rdp: increment,
      cumulative: target,
    });
  }

  /** Refuses images whose spend cannot be carried into `row` (another order, or a larger promised cap). */
  private refuseHistory(row: DatasetRow, members: readonly string[], sources: readonly DatasetRow[]): void {
    const budget = isUsableFilter(filterOf(row)) ? rdpBudget(filterOf(row)) : -Infinity;
    const blocking = sources.filter((source) => source.filter_order !== row.filter_order || rdpBudget(filterOf(source)) > budget * (1 + 1e-12));
    if (blocking.length === 0) return;
    const byOrder = blocking.some((source) => source.filter_order !== row.filter_order);
    throw historyError(byOrder ? 'orders' : 'cap', blocking, this.historyCounts(members, blocking), byOrder ? undefined : minimumCapFor(blocking, row));
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
          this.refuseOverlap(members, datasetId);
          this.inherit(row, members, this.historySources(members, datasetId));
          const before = row.member_count;
          const at = this.now();
          this.stmt.deleteMembers.run(datasetId);
          for (const hash of members) this.stmt.insertMember.run(hash, datasetId);
          this.recordHistory(datasetId, members, at);
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

  /** Integrity of the dataset header and the chain's tail: cheap checks run before every charge. */
  private tailProblem(row: DatasetRow, orders: readonly number[], head: HeadRow | undefined, last: ChargeRow | undefined): string | undefined {
    if (headerHash(headerFieldsOf(row)) !== row.header_hash) return 'the dataset header (cap, δ, filter order, size class) was modified';
    if (!head) return 'the head record is missing';
    if (!last) return head.count === 0 && head.last_hash === genesisHash(row.id) ? undefined : `the head records ${head.count} charges but none are stored (rows deleted)`;
    if (last.seq !== head.count || last.hash !== head.last_hash) return `the head records ${head.count} charges but the last stored one is #${last.seq} (rows deleted or altered)`;
    if (chargeHash(fieldsOf(last)) !== last.hash) return `charge #${last.seq} was modified (hash mismatch)`;
    if (!decodeVector(last.cumulative_rdp, orders.length)) return `charge #${last.seq} has an unreadable cumulative RDP`;
    return undefined;
  }

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
    const fields = {
      datasetId: row.id,
      seq,
      receiptId: `rc_${randomBytes(12).toString('hex')}`,
      createdAt: this.now(),
      kind: c.kind,
      q: c.q,
      sigma: c.sigma,
      k: c.k,
      lambda: c.lambda,
      purpose: c.purpose,
      rdp: encodeVector(c.rdp),
      cumulativeRdp: encodeVector(c.cumulative),
      epsilonCost: epsilonOfRdp(filter, c.rdp[index]!),
      cumulativeEpsilon: epsilonOfRdp(filter, c.cumulative[index]!),
      epsilonOrder: filter.order,
      prevHash: last ? last.hash : genesisHash(row.id),
    };
    const hash = chargeHash(fields);
    this.stmt.insertCharge.run({
      dataset_id: row.id,
      seq,
      receipt_id: fields.receiptId,
      created_at: fields.createdAt,
      kind: fields.kind,
      q: fields.q,
      sigma: fields.sigma,
      k: fields.k,
      lambda: fields.lambda,
      purpose: fields.purpose,
      rdp: fields.rdp,
      cumulative_rdp: fields.cumulativeRdp,
      epsilon_this_query: fields.epsilonCost,
      cumulative_epsilon: fields.cumulativeEpsilon,
      epsilon_order: fields.epsilonOrder,
      prev_hash: fields.prevHash,
      hash,
    });
    this.stmt.updateHead.run(seq, hash, row.id);
    return { seq, receiptId: fields.receiptId, createdAt: fields.createdAt, cost: fields.epsilonCost, used: fields.cumulativeEpsilon, hash };
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
        | { kind: 'refused'; row: DatasetRow; spentRdp: number; rho: number }
        | { kind: 'damaged'; reason: string }
        | { kind: 'locked'; reason: string };
      const outcome = this.db
        .transaction((): Outcome => {
          const row = this.datasetRow(datasetId);
          if (row.locked_reason !== null) return { kind: 'locked', reason: row.locked_reason };
          if (row.orders !== row0.orders) return { kind: 'damaged', reason: 'its order grid changed' };
          const head = this.stmt.head.get(datasetId);
          const last = this.stmt.lastCharge.get(datasetId);
          const problem = this.tailProblem(row, orders, head, last);
          if (problem) return { kind: 'damaged', reason: `integrity check before charging failed: ${problem}` };
          const filter = filterOf(row);
          const index = this.orderIndex(row);
          const cumulative = Array.from(this.cumulativeOf(row, last)!);
          if (!admits(filter, cumulative[index]!, rdp[index]!)) return { kind: 'refused', row, spentRdp: cumulative[index]!, rho: rdp[index]! };
          const next = addVectors(cumulative, rdp);
          const written = this.appendCharge(row, last, { ...valid, rdp, cumulative: next });
          return {
            kind: 'admitted',
            receipt: Object.freeze({
              receiptId: written.receiptId,
              datasetId,
              seq: written.seq,
              createdAt: written.createdAt,
              kind: valid.kind,
              q: valid.q,
              sigma: valid.sigma,
              k: valid.k,
              lambda: valid.lambda,
              noiseMultiplier: (valid.sigma * valid.k) / 2,
              purpose: valid.purpose,
              epsilonCost: written.cost,
              standaloneEpsilon: standaloneEpsilon(rdp, orders, row.delta),
              cumulativeEpsilon: written.used,
              remainingEpsilon: remainingEpsilon(filter, next[index]!),
              epsilonCap: row.epsilon_cap,
              delta: row.delta,
              order: filter.order,
              hash: written.hash,
            }),
          };
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
        case 'refused': {
          const filter = filterOf(outcome.row);
          throw new BudgetExceededError({
            datasetId,
            epsilonCap: filter.epsilonCap,
            delta: filter.delta,
            cumulativeEpsilon: epsilonOfRdp(filter, outcome.spentRdp),
            remainingEpsilon: remainingEpsilon(filter, outcome.spentRdp),
            epsilonCost: epsilonOfRdp(filter, outcome.rho),
            epsilonIfAdmitted: epsilonOfRdp(filter, outcome.spentRdp + outcome.rho),
            identicalQueriesThatFit: 0,
            suggestedSigma: sigmaThatFits(filter, valid, outcome.spentRdp),
          });
        }
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
        const problem = this.tailProblem(row, orders, this.stmt.head.get(datasetId), last);
        // charge would lock the dataset for this; preview only reads, and says it would be refused
        if (problem) throw new LedgerLockedError(datasetId, `integrity check failed: ${problem}`);
        const filter = filterOf(row);
        const index = this.orderIndex(row);
        const spent = this.cumulativeOf(row, last)![index]!;
        const rdp = queryRdp(valid, orders);
        const rho = rdp[index]!;
        const locked = row.locked_reason !== null;
        const admissible = !locked && admits(filter, spent, rho);
        return Object.freeze({
          datasetId,
          admissible,
          locked,
          epsilonCost: epsilonOfRdp(filter, rho),
          standaloneEpsilon: standaloneEpsilon(rdp, orders, row.delta),
          cumulativeEpsilonBefore: epsilonOfRdp(filter, spent),
          cumulativeEpsilonAfter: epsilonOfRdp(filter, spent + rho),
          remainingEpsilonBefore: remainingEpsilon(filter, spent),
          remainingEpsilonAfter: admissible ? remainingEpsilon(filter, spent + rho) : 0,
          identicalQueriesThatFit: locked ? 0 : queriesThatFit(filter, spent, rho),
          epsilonCap: row.epsilon_cap,
          delta: row.delta,
          order: filter.order,
        });
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

function fieldsOf(c: ChargeRow) {
  return {
    datasetId: c.dataset_id,
    seq: c.seq,
    receiptId: c.receipt_id,
    createdAt: c.created_at,
    kind: c.kind,
    q: c.q,
    sigma: c.sigma,
    k: c.k,
    lambda: c.lambda,
    purpose: c.purpose,
    rdp: Buffer.isBuffer(c.rdp) ? c.rdp : Buffer.alloc(0),
    cumulativeRdp: Buffer.isBuffer(c.cumulative_rdp) ? c.cumulative_rdp : Buffer.alloc(0),
    epsilonCost: c.epsilon_this_query,
    cumulativeEpsilon: c.cumulative_epsilon,
    epsilonOrder: c.epsilon_order,
    prevHash: c.prev_hash,
  };
}

function recordOf(c: ChargeRow, orderCount: number): ChargeRecord {
  return Object.freeze({
    seq: c.seq,
    receiptId: c.receipt_id,
    createdAt: c.created_at,
    kind: c.kind as ChargeKind,
    q: c.q,
    sigma: c.sigma,
    k: c.k,
    lambda: c.lambda,
    purpose: c.purpose,
    rdp: Object.freeze(Array.from(decodeVector(c.rdp, orderCount) ?? [])),
    cumulativeRdp: Object.freeze(Array.from(decodeVector(c.cumulative_rdp, orderCount) ?? [])),
    epsilonCost: c.epsilon_this_query,
    cumulativeEpsilon: c.cumulative_epsilon,
    order: c.epsilon_order,
    prevHash: c.prev_hash,
    hash: c.hash,
  });
}

function verifyRows(
  row: DatasetRow,
  charges: ChargeRow[],
  head: HeadRow | undefined,
  members: string[],
): { problems: VerifyProblem[]; count: number; spent: number } {
  const problems: VerifyProblem[] = [];
  if (headerHash(headerFieldsOf(row)) !== row.header_hash) {
    problems.push({ seq: null, problem: 'the dataset header (cap ε, δ, unit, filter order, size class or q) was modified: its hash does not match' });
  }
  const orders = parseOrders(row.orders);
  if (!orders) {
    problems.push({ seq: null, problem: 'the order grid is unreadable' });
    return { problems, count: charges.length, spent: NaN };
  }
  const filter = filterOf(row);
  const index = orders.indexOf(filter.order);
  const sizeClass = { lower: row.size_lower, upper: row.size_upper };
  if (!(row.epsilon_cap > 0 && row.epsilon_cap <= 100) || !isSizeClass(sizeClass) || !(row.delta > 0 && row.delta <= deltaForSizeClass(sizeClass))) {
    problems.push({ seq: null, problem: 'the cap ε, δ or size class is out of range' });
  }
  if (index < 0 || !isUsableFilter(filter)) problems.push({ seq: null, problem: `the filter order α = ${filter.order} is not usable on the order grid` });
  if (members.length !== row.member_count) problems.push({ seq: null, problem: `the dataset records ${row.member_count} images but ${members.length} member hashes are stored` });
  else if (membershipFingerprint(members) !== row.fingerprint) problems.push({ seq: null, problem: 'the membership fingerprint does not match the stored member hashes' });

  let cumulative: number[] = new Array<number>(orders.length).fill(0);
  let prevHash = genesisHash(row.id);
  let spent = 0;
  const rdpCache = new Map<string, number[] | undefined>();
  let expectedSeq = 1;
  for (const c of charges) {
    const at = (problem: string) => problems.push({ seq: c.seq, receiptId: c.receipt_id, problem });
    const legacy = c.seq < row.filter_from_seq; // admitted by schema 1's rule: verified by it
    if (c.seq !== expectedSeq) {
      at(c.seq > expectedSeq ? `charge${c.seq - expectedSeq > 1 ? 's' : ''} #${expectedSeq}${c.seq - expectedSeq > 1 ? `–#${c.seq - 1}` : ''} missing (deleted)` : `sequence number out of order (expected #${expectedSeq})`);
    }
    if (c.prev_hash !== prevHash) at('its previous-row hash does not match the row before it (a row was deleted, inserted or reordered)');
    if (chargeHash(fieldsOf(c)) !== c.hash) at('its contents do not match its hash (the row was edited)');
    const rdp = decodeVector(c.rdp, orders.length);
    const stored = decodeVector(c.cumulative_rdp, orders.length);
    if (!rdp) at('its RDP vector is unreadable or holds NaN/negative values');
    if (!stored) at('its cumulative RDP vector is unreadable or holds NaN/negative values');
    if (!STORED_KINDS.has(c.kind) || (c.kind === 'inherit' && legacy)) at(`unknown kind "${c.kind}"`);
    if (c.kind !== 'inherit') {
      let valid: ValidQuery | undefined;
      try {
        valid = requireQuery({ q: c.q, sigma: c.sigma, k: c.k, lambda: c.lambda, purpose: c.purpose, kind: c.kind });
      } catch {
        at('its mechanism parameters are invalid');
      }
      if (rdp && valid) {
        const key = `${valid.q}|${valid.sigma}|${valid.k}`;
        let expected = rdpCache.get(key);
        if (!rdpCache.has(key)) {
          try {
            expected = queryRdp(valid, orders);
          } catch {
            expected = undefined;
          }
          rdpCache.set(key, expected);
        }
        if (!expected || expected.some((v, i) => !nearlyEqual(rdp[i]!, v))) at(`its RDP vector does not match the accountant for q = ${c.q}, σ = ${c.sigma}, k = ${c.k}`);
      }
    } else if (rdp && !(rdp[index]! < Infinity)) at('its inherited RDP is not finite');
    if (rdp) {
      const next = addVectors(cumulative, rdp);
      if (stored && next.some((v, i) => v !== stored[i])) at('its cumulative RDP is not the sum of the charges up to it');
      if (legacy) {
        const eps = epsilonFromRdp(next, orders, row.delta);
        if (!(eps.epsilon === c.cumulative_epsilon)) at(`its cumulative ε ${c.cumulative_epsilon} does not match the recomputed ${eps.epsilon}`);
        else if (!(eps.order === c.epsilon_order)) at('its recorded Rényi order does not match');
        const own = epsilonFromRdp(rdp, orders, row.delta).epsilon;
        if (!(own === c.epsilon_this_query)) at(`its own ε ${c.epsilon_this_query} does not match the recomputed ${own}`);
        if (!(eps.epsilon <= row.epsilon_cap)) at(`it brought ε to ${eps.epsilon}, above the cap ${row.epsilon_cap}`);
      } else if (index >= 0) {
        const used = epsilonOfRdp(filter, next[index]!);
        const cost = epsilonOfRdp(filter, rdp[index]!);
        if (!(used === c.cumulative_epsilon)) at(`its ε used ${c.cumulative_epsilon} does not match the recomputed ${used}`);
        else if (!(c.epsilon_order === filter.order)) at('its recorded Rényi order is not the dataset’s');
        if (!(cost === c.epsilon_this_query)) at(`its cost ε ${c.epsilon_this_query} does not match the recomputed ${cost}`);
        if (!admits(filter, cumulative[index]!, rdp[index]!)) at(`the filter would not have admitted it (ε used ${used} > cap ${row.epsilon_cap})`);
      }
      cumulative = next;
      spent = index >= 0 ? epsilonOfRdp(filter, next[index]!) : NaN;
    }
    prevHash = c.hash;
    expectedSeq = c.seq + 1;
  }
  if (!head) problems.push({ seq: null, problem: 'the head record (count and last hash) is missing' });
  else {
    if (head.count !== charges.length) {
      problems.push({ seq: null, problem: `the head records ${head.count} charges but ${charges.length} are stored (${head.count > charges.length ? 'rows were deleted or the ledger was truncated' : 'rows were inserted'})` });
    } else if (head.last_hash !== prevHash) problems.push({ seq: null, problem: 'the head’s last hash does not match the last charge (the tail was altered)' });
  }
  return { problems, count: charges.length, spent };
}

/** Row kinds: queries ('release', 'audit') and the spend brought in with images that have history ('inherit'). */
type StoredKind = ChargeKind | 'inherit';
const STORED_KINDS = new Set<string>(['release', 'audit', 'inherit']);

function historyError(
  reason: 'orders' | 'cap' | 'spent',
  datasets: readonly DatasetRow[],
  counts: ReadonlyMap<string, number>,
  minimumCap?: number,
): DatasetHistoryError {
  const sources = datasets.filter((d) => counts.has(d.id)).map((d) => ({ datasetId: d.id, images: counts.get(d.id)!, order: d.filter_order, epsilonCap: d.epsilon_cap }));
  return new DatasetHistoryError(reason, sources, minimumCap);
}

/** The smallest cap (at the dataset's own δ and order) whose RDP budget covers every source's. */
function minimumCapFor(sources: readonly DatasetRow[], row: DatasetRow): number {
  const needed = Math.max(...sources.map((s) => rdpBudget(filterOf(s))));
  return needed + (row.epsilon_cap - rdpBudget(filterOf(row)));
}
