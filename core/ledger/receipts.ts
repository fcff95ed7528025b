/**
 * What the filter's answer looks like to a caller (docs/design.md §4): the receipt of an admitted charge, the preview
 * of one, and the refusal that explains what still fits. Every ε here is a share of the cap (./filter.ts).
 */
import { BudgetExceededError } from './errors.ts';
import { admits, epsilonOfRdp, queriesThatFit, remainingEpsilon, sigmaThatFits, type RenyiFilter } from './filter.ts';
import { standaloneEpsilon, type DatasetRow } from './rows.ts';
import type { LedgerReceipt, PreviewResult } from './types.ts';
import type { ValidQuery } from './validate.ts';

/** One query at the dataset's filter: its RDP vector on the grid, and the spent RDP at the filter's order. */
export interface FilterState {
  readonly row: DatasetRow;
  readonly filter: RenyiFilter;
  readonly orders: readonly number[];
  /** The filter order's index on the grid. */
  readonly index: number;
  readonly spentRdp: number;
}

export function receiptOf(
  state: FilterState,
  query: ValidQuery,
  rdp: readonly number[],
  written: { readonly seq: number; readonly receiptId: string; readonly createdAt: string; readonly cost: number; readonly used: number; readonly hash: string },
): LedgerReceipt {
  const { row, filter, orders, index } = state;
  return Object.freeze({
    receiptId: written.receiptId,
    datasetId: row.id,
    seq: written.seq,
    createdAt: written.createdAt,
    kind: query.kind,
    q: query.q,
    sigma: query.sigma,
    k: query.k,
    lambda: query.lambda,
    noiseMultiplier: (query.sigma * query.k) / 2,
    purpose: query.purpose,
    epsilonCost: written.cost,
    standaloneEpsilon: standaloneEpsilon(rdp, orders, row.delta),
    cumulativeEpsilon: written.used,
    remainingEpsilon: remainingEpsilon(filter, state.spentRdp + rdp[index]!),
    epsilonCap: row.epsilon_cap,
    delta: row.delta,
    order: filter.order,
    hash: written.hash,
  });
}

export function previewOf(state: FilterState, rdp: readonly number[]): PreviewResult {
  const { row, filter, orders, spentRdp: spent } = state;
  const rho = rdp[state.index]!;
  const locked = row.locked_reason !== null;
  const admissible = !locked && admits(filter, spent, rho);
  return Object.freeze({
    datasetId: row.id,
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
}

/** The refusal of a query that does not fit: what was spent, what it would cost, and the σ that would fit. */
export function refusalOf(datasetId: string, filter: RenyiFilter, spentRdp: number, rho: number, query: ValidQuery): BudgetExceededError {
  return new BudgetExceededError({
    datasetId,
    epsilonCap: filter.epsilonCap,
    delta: filter.delta,
    cumulativeEpsilon: epsilonOfRdp(filter, spentRdp),
    remainingEpsilon: remainingEpsilon(filter, spentRdp),
    epsilonCost: epsilonOfRdp(filter, rho),
    epsilonIfAdmitted: epsilonOfRdp(filter, spentRdp + rho),
    identicalQueriesThatFit: 0,
    suggestedSigma: sigmaThatFits(filter, query, spentRdp),
  });
}
