/**
 * The ledger's stored rows and how they map to records: the row shapes, the header's hashed fields, the charge's
 * hashed fields, a dataset's info and a charge's record (docs/design.md §5).
 */
import { epsilonFromRdp } from '../privacy/index.ts';
import { decodeVector } from './encoding.ts';
import { epsilonOfRdp, rdpBudget, remainingEpsilon, type RenyiFilter } from './filter.ts';
import type { ChargeRecord, DatasetInfo } from './types.ts';
import type { ChargeKind } from './validate.ts';

export interface DatasetRow {
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

export interface ChargeRow {
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

export interface HeadRow {
  count: number;
  last_hash: string;
}

/** Row kinds: queries ('release', 'audit') and the spend brought in with images that have history ('inherit'). */
export type StoredKind = ChargeKind | 'inherit';
export const STORED_KINDS = new Set<string>(['release', 'audit', 'inherit']);

export function parseOrders(text: string): number[] | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    if (!Array.isArray(parsed) || parsed.length === 0) return undefined;
    for (const order of parsed) if (typeof order !== 'number' || !(order > 1 && order < Infinity)) return undefined;
    return parsed as number[];
  } catch {
    return undefined;
  }
}

export function addVectors(a: ArrayLike<number>, b: ArrayLike<number>, times = 1): number[] {
  const out = new Array<number>(a.length);
  for (let i = 0; i < a.length; i++) {
    const sum = a[i]! + times * b[i]!;
    out[i] = sum >= 0 ? sum : Infinity;
  }
  return out;
}

export function filterOf(row: DatasetRow): RenyiFilter {
  return { order: row.filter_order, epsilonCap: row.epsilon_cap, delta: row.delta };
}

export function headerFieldsOf(row: DatasetRow) {
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
export function standaloneEpsilon(rdp: readonly number[], orders: readonly number[], delta: number): number {
  return epsilonFromRdp(rdp, orders, delta).epsilon;
}

export function nearlyEqual(stored: number, recomputed: number): boolean {
  if (stored === recomputed) return true;
  if (!Number.isFinite(stored) || !Number.isFinite(recomputed)) return false;
  return Math.abs(stored - recomputed) <= 1e-9 * Math.max(1e-12, Math.abs(recomputed));
}

/** A dataset's public info from its row, its cumulative RDP (undefined when unreadable) and its charge count. */
export function datasetInfoOf(row: DatasetRow, cumulative: Float64Array | undefined, charges: number): DatasetInfo {
  const filter = filterOf(row);
  const orders = parseOrders(row.orders) ?? [];
  const index = orders.indexOf(row.filter_order);
  const spentRdp = cumulative && index >= 0 ? cumulative[index]! : Infinity;
  return Object.freeze({
    id: row.id,
    name: row.name,
    createdAt: row.created_at,
    privacyUnit: row.privacy_unit,
    epsilonCap: row.epsilon_cap,
    delta: row.delta,
    orders: Object.freeze(orders),
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
    charges,
    cumulativeEpsilon: spentRdp === 0 ? 0 : epsilonOfRdp(filter, spentRdp),
    remainingEpsilon: remainingEpsilon(filter, spentRdp),
    locked: row.locked_reason !== null,
    lockedReason: row.locked_reason ?? undefined,
    lockedAt: row.locked_at ?? undefined,
  });
}

export function fieldsOf(c: ChargeRow) {
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

export function recordOf(c: ChargeRow, orderCount: number): ChargeRecord {
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
