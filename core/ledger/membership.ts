/**
 * Membership history (docs/design.md §5): an image that was ever a member of a dataset carries that dataset's
 * cumulative RDP from then on. These rules decide which images a dataset may take in and how much spend comes with
 * them; the ledger calls them inside its write transactions.
 */
import { jsonChunks } from '../native/sqlite.ts';
import { DatasetHistoryError, DatasetNotFoundError, DatasetOverlapError, LedgerLockedError } from './errors.ts';
import { rdpBudget, isUsableFilter } from './filter.ts';
import { filterOf, type DatasetRow } from './rows.ts';
import type { LedgerStatements } from './statements.ts';

/** Refuses images that belong to another dataset now (an image is a member of at most one). */
export function refuseOverlap(stmt: LedgerStatements, members: readonly string[], self: string | undefined): void {
  const others = ownerCounts(stmt.memberOwnerCounts, members);
  if (self !== undefined) others.delete(self);
  if (others.size > 0) throw new DatasetOverlapError([...others.keys()], [...others.values()].reduce((a, b) => a + b, 0));
}

/** Every other dataset any of these images ever belonged to. */
export function historySources(stmt: LedgerStatements, members: readonly string[], self: string | undefined): DatasetRow[] {
  const ids = ownerCounts(stmt.historyOwnerCounts, members);
  if (self !== undefined) ids.delete(self);
  return [...ids.keys()].sort().map((id) => {
    const row = stmt.dataset.get(id);
    if (!row) throw new DatasetNotFoundError(id);
    return row;
  });
}

/** Makes `members` (valid, distinct hashes: ./validate.ts) the members of `datasetId` (none may belong to a dataset now) and records their history. */
export function insertMembers(stmt: LedgerStatements, datasetId: string, members: readonly string[], at: string): void {
  for (const { json } of jsonChunks(members)) {
    stmt.insertMembers.run(datasetId, json);
    stmt.insertHistory.run(datasetId, at, json);
  }
}

/** How many of `members` each dataset holds, by a statement over one JSON chunk of hashes (./statements.ts). */
function ownerCounts(statement: LedgerStatements['memberOwnerCounts'], members: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { json } of jsonChunks(members)) for (const { dataset_id, n } of statement.all(json)) counts.set(dataset_id, (counts.get(dataset_id) ?? 0) + n);
  return counts;
}

/**
 * Refuses images whose spend cannot be carried into `row`: a source can only be inherited by a dataset at the same
 * filter order whose RDP budget is at least the source's, or the promise made to those images (the source's cap)
 * could not be kept.
 */
export function refuseHistory(stmt: LedgerStatements, row: DatasetRow, members: readonly string[], sources: readonly DatasetRow[]): void {
  const budget = isUsableFilter(filterOf(row)) ? rdpBudget(filterOf(row)) : -Infinity;
  const blocking = sources.filter((source) => source.filter_order !== row.filter_order || rdpBudget(filterOf(source)) > budget * (1 + 1e-12));
  if (blocking.length === 0) return;
  const byOrder = blocking.some((source) => source.filter_order !== row.filter_order);
  throw historyError(stmt, byOrder ? 'orders' : 'cap', blocking, members, byOrder ? {} : { minimumCap: minimumCapFor(blocking, row) });
}

/**
 * The cumulative RDP that covers `row`'s new images: `current` lifted to at least every source's, order by order.
 * Undefined when no source lifts it. `spentOf` reads a source's cumulative RDP (undefined when unreadable).
 */
export function liftToSources(
  row: DatasetRow,
  current: Float64Array,
  sources: readonly DatasetRow[],
  spentOf: (source: DatasetRow) => Float64Array | undefined,
): { target: number[]; increment: number[]; from: string[] } | undefined {
  const target = Array.from(current);
  const from: string[] = [];
  for (const source of sources) {
    if (source.orders !== row.orders) throw new LedgerLockedError(row.id, `dataset ${source.id} uses another order grid`);
    const spent = spentOf(source);
    if (!spent) throw new LedgerLockedError(source.id, 'its cumulative RDP is unreadable');
    let lifts = false;
    for (let i = 0; i < target.length; i++) {
      if (spent[i]! > target[i]!) {
        target[i] = spent[i]!;
        lifts = true;
      }
    }
    if (lifts) from.push(source.id);
  }
  if (from.length === 0) return undefined;
  return { target, increment: target.map((v, i) => v - current[i]!), from };
}

export function historyError(
  stmt: LedgerStatements,
  reason: 'orders' | 'cap' | 'spent',
  datasets: readonly DatasetRow[],
  members: readonly string[],
  options: { readonly counted?: readonly DatasetRow[]; readonly minimumCap?: number } = {},
): DatasetHistoryError {
  const counts = historyCounts(stmt, members, options.counted ?? datasets);
  const sources = datasets.filter((d) => counts.has(d.id)).map((d) => ({ datasetId: d.id, images: counts.get(d.id)!, order: d.filter_order, epsilonCap: d.epsilon_cap }));
  return new DatasetHistoryError(reason, sources, options.minimumCap);
}

/** How many of `members` each of `datasets` ever held. */
function historyCounts(stmt: LedgerStatements, members: readonly string[], datasets: readonly DatasetRow[]): Map<string, number> {
  const wanted = new Set(datasets.map((s) => s.id));
  const counts = ownerCounts(stmt.historyOwnerCounts, members);
  for (const id of counts.keys()) if (!wanted.has(id)) counts.delete(id);
  return counts;
}

/** The smallest cap (at the dataset's own δ and order) whose RDP budget covers every source's. */
function minimumCapFor(sources: readonly DatasetRow[], row: DatasetRow): number {
  const needed = Math.max(...sources.map((s) => rdpBudget(filterOf(s))));
  return needed + (row.epsilon_cap - rdpBudget(filterOf(row)));
}
