/**
 * The budget rule: a fixed-order Rényi filter (docs/design.md §4). This module is the only statement of it; the
 * ledger, the preview, "how many more fit", the σ suggestion and the evaluation plan all call it.
 *
 * Theorem (Feldman & Zrnic 2021, "Individual Privacy Accounting via a Rényi Filter", Thm 3.1, the Rényi filter):
 * fix one order α and a budget B. If each query t is (α, ρ_t)-RDP, where ρ_t (and the query itself: q, σ, k) may
 * be chosen from everything released before it, and queries are run only while ρ_1 + … + ρ_t ≤ B, then the whole
 * interaction is (α, B)-RDP. Conversion (Balle, Barthe, Gaboardi, Hsu & Sato 2020, Thm 21): (α, B)-RDP implies
 * (ε, δ)-DP with ε = B + ln((α−1)/α) − (ln δ + ln α)/(α−1).
 * The conditions the studio meets: α is fixed when the dataset is created (from its planned workload, below) and
 * never changes; ρ_t is the Poisson-subsampled Gaussian RDP at α (Mironov, Talwar & Zhang 2019) of the query's own
 * public (q, σ, k); admission compares at α alone; B = cap − conversion(α, δ), so the promise is (cap, δ).
 *
 * The ε a person sees is the share of the cap the RDP spent: used = cap·Σρ/B, and one query costs cap·ρ/B. Costs add
 * up to exactly what the budget lost, and "used = cap" is the moment nothing more fits. (Admitting while *some*
 * order of a grid still fits is not covered by the theorem; it would give (cap, |grid|·δ).)
 */
import { DEFAULT_ORDERS, calibrateSigma, epsilonAtOrder, noiseMultiplier, subsampledGaussianRdpAt } from '../privacy/index.ts';

export interface RenyiFilter {
  /** The fixed Rényi order α. */
  readonly order: number;
  /** The promised ε. */
  readonly epsilonCap: number;
  readonly delta: number;
}

export interface QueryShape {
  readonly q: number;
  readonly k: number;
}

/** At most this many identical queries are counted by `queriesThatFit`. */
export const MAX_COUNTED_QUERIES = 1_000_000_000;

/** conversion(α, δ) = ε − RDP in the Balle et al. bound: what the filter's ε adds to its RDP budget. */
export function conversionCost(order: number, delta: number): number {
  return epsilonAtOrder(0, order, delta, 'improved');
}

/** B = cap − conversion(α, δ): the RDP the filter admits at its order (≤ 0 means the cap is unreachable at α). */
export function rdpBudget(filter: RenyiFilter): number {
  return filter.epsilonCap - conversionCost(filter.order, filter.delta);
}

/** Whether a filter can admit anything: its order is on the grid and its budget is positive. */
export function isUsableFilter(filter: RenyiFilter): boolean {
  return DEFAULT_ORDERS.includes(filter.order) && rdpBudget(filter) > 0 && filter.epsilonCap > 0 && filter.delta > 0 && filter.delta < 1;
}

/** One query's RDP at the filter's order (+∞ when the accountant fails: such a query never fits). */
export function queryRdpAt(filter: RenyiFilter, query: QueryShape & { readonly sigma: number }): number {
  const rho = subsampledGaussianRdpAt(query.q, noiseMultiplier(query.sigma, query.k), filter.order);
  return rho >= 0 ? rho : Infinity;
}

/** The ε-share of the cap that `rdp` (at the filter's order) represents. */
export function epsilonOfRdp(filter: RenyiFilter, rdp: number): number {
  return (filter.epsilonCap * rdp) / rdpBudget(filter);
}

/** The filter's admission test: written so that NaN and ±∞ refuse. */
export function admits(filter: RenyiFilter, spentRdp: number, queryRdp: number): boolean {
  const budget = rdpBudget(filter);
  return budget > 0 && queryRdp >= 0 && spentRdp >= 0 && spentRdp + queryRdp <= budget;
}

/** ε left to spend (never negative). */
export function remainingEpsilon(filter: RenyiFilter, spentRdp: number): number {
  const left = filter.epsilonCap - epsilonOfRdp(filter, spentRdp);
  return left > 0 ? left : 0;
}

/** How many identical queries still fit (up to MAX_COUNTED_QUERIES); 0 when not even one does. */
export function queriesThatFit(filter: RenyiFilter, spentRdp: number, queryRdp: number): number {
  if (!admits(filter, spentRdp, queryRdp)) return 0;
  if (queryRdp === 0) return MAX_COUNTED_QUERIES;
  // floor((B − spent)/ρ), then corrected so that exactly n additions (as the ledger does them) fit and n+1 do not
  let n = Math.min(MAX_COUNTED_QUERIES, Math.floor((rdpBudget(filter) - spentRdp) / queryRdp));
  while (n > 1 && !admits(filter, spentRdp + (n - 1) * queryRdp, queryRdp)) n--;
  while (n < MAX_COUNTED_QUERIES && admits(filter, spentRdp + n * queryRdp, queryRdp)) n++;
  return Math.max(1, n);
}

const SIGMA_CEILING = 1e6;

/**
 * The smallest σ (relative precision 1e-7) with which a query of this (q, k) costs at most `epsilonCost`, i.e.
 * ρ_α ≤ epsilonCost·B/cap; undefined when no σ ≤ 10⁶ does. The result is verified against the target.
 */
export function sigmaForCost(filter: RenyiFilter, query: QueryShape, epsilonCost: number): number | undefined {
  const target = (epsilonCost * rdpBudget(filter)) / filter.epsilonCap;
  if (!(target > 0 && target < Infinity)) return undefined;
  const fits = (sigma: number) => queryRdpAt(filter, { ...query, sigma }) <= target;
  let hi = 1;
  while (!fits(hi)) {
    hi *= 4;
    if (hi > SIGMA_CEILING) return undefined;
  }
  let lo = hi / 4;
  while (fits(lo) && lo > 1e-9) {
    hi = lo;
    lo /= 4;
  }
  while (hi - lo > 1e-7 * hi) {
    const mid = Math.sqrt(lo * hi);
    if (fits(mid)) hi = mid;
    else lo = mid;
  }
  return fits(hi) ? hi : undefined;
}

/** The smallest σ with which one more query of this (q, k) fits after `spentRdp`, or undefined. */
export function sigmaThatFits(filter: RenyiFilter, query: QueryShape, spentRdp: number): number | undefined {
  const left = rdpBudget(filter) - spentRdp;
  if (!(left > 0)) return undefined;
  return sigmaForCost(filter, query, (filter.epsilonCap * left) / rdpBudget(filter));
}

export interface PlannedWorkload extends QueryShape {
  /** How many identical generations the budget should hold. */
  readonly generations: number;
  readonly epsilonCap: number;
  readonly delta: number;
}

export interface FilterPlan {
  readonly filter: RenyiFilter;
  /** σ with which exactly `generations` identical queries fit. */
  readonly sigma: number;
}

/**
 * The order for a dataset, chosen once from its planned workload: the grid order at which `generations` identical
 * queries reach the cap with the least noise (the order the accountant's calibration attains). Only public numbers.
 */
export function planFilter(plan: PlannedWorkload): FilterPlan {
  const calibrated = calibrateSigma({ q: plan.q, k: plan.k, queries: plan.generations, delta: plan.delta, epsilon: plan.epsilonCap });
  const filter: RenyiFilter = { order: calibrated.order, epsilonCap: plan.epsilonCap, delta: plan.delta };
  const sigma = sigmaForCost(filter, plan, plan.epsilonCap / plan.generations);
  if (sigma === undefined) throw new RangeError(`no σ makes ${plan.generations} queries fit a cap of ε ${plan.epsilonCap}`);
  return { filter, sigma };
}
