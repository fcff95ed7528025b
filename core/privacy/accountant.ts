/**
 * The accountant of DP-RDM's private retrieval (docs/design.md §4).
 *
 * One query averages k clipped neighbours, so one row moves the aggregate by at most Δ = 2/k (add/remove
 * adjacency with zero-padding); Gaussian noise of scale σ gives the noise multiplier z = σ/Δ = σk/2. With
 * Poisson subsampling at rate q, a query is the subsampled Gaussian mechanism of Mironov et al. (2019);
 * T queries compose additively in RDP at each order.
 */
import { CalibrationError, PrivacyParameterError } from './errors.ts';
import { epsilonFromRdp, type Conversion } from './conversion.ts';
import { DEFAULT_ORDERS, INTEGER_ORDERS } from './orders.ts';
import { subsampledGaussianRdp } from './rdp.ts';
import { requireCount, requireOpenUnit, requireOrders, requirePositiveFinite, requireProbability } from './validate.ts';

export type OrderGrid = 'default' | 'integer' | readonly number[];

export interface QueryParameters {
  /** Poisson sampling rate. */
  readonly q: number;
  /** Standard deviation of the Gaussian noise added to the aggregate. */
  readonly sigma: number;
  /** Number of neighbours averaged. */
  readonly k: number;
}

export interface AccountingOptions {
  readonly orders?: OrderGrid;
  readonly conversion?: Conversion;
}

export interface EpsilonRequest extends QueryParameters, AccountingOptions {
  readonly queries: number;
  readonly delta: number;
}

export interface EpsilonResult {
  readonly epsilon: number;
  readonly order: number;
  readonly noiseMultiplier: number;
}

export interface CalibrationRequest extends AccountingOptions {
  readonly q: number;
  readonly k: number;
  readonly queries: number;
  readonly delta: number;
  readonly epsilon: number;
}

export interface CalibrationResult {
  readonly sigma: number;
  /** The ε that σ actually achieves (always ≤ the target). */
  readonly epsilon: number;
  readonly order: number;
  readonly noiseMultiplier: number;
}

export function resolveOrders(orders: OrderGrid | undefined): readonly number[] {
  if (orders === undefined || orders === 'default') return DEFAULT_ORDERS;
  if (orders === 'integer') return INTEGER_ORDERS;
  return requireOrders(orders);
}

/** z = σ/Δ with Δ = 2/k. */
export function noiseMultiplier(sigma: number, k: number): number {
  return (sigma * k) / 2;
}

export function validateQuery(query: QueryParameters): void {
  requireProbability('q', query.q);
  requirePositiveFinite('sigma', query.sigma);
  requireCount('k', query.k, 1);
}

/** The RDP of one query at each order (what the ledger stores per charge). */
export function queryRdp(query: QueryParameters, orders: OrderGrid = 'default'): number[] {
  validateQuery(query);
  const grid = resolveOrders(orders);
  const z = noiseMultiplier(query.sigma, query.k);
  requirePositiveFinite('noise multiplier', z);
  // A pure function of public parameters, and the studio repeats one (q, z) per ε setting: at large q the series
  // over every order costs more than the ledger's commit, so recent vectors are kept (a copy is returned).
  const key = `${query.q}|${z}|${grid.join(',')}`;
  let rdp = recentRdp.get(key);
  if (!rdp) {
    rdp = grid.map((alpha) => subsampledGaussianRdp(query.q, z, alpha));
    if (recentRdp.size >= RECENT_RDP_LIMIT) recentRdp.delete(recentRdp.keys().next().value!);
    recentRdp.set(key, rdp);
  }
  return [...rdp];
}

/** queryRdp's recent vectors, oldest first (keys are the exact q, z and order grid). */
const recentRdp = new Map<string, readonly number[]>();
const RECENT_RDP_LIMIT = 64;

/** One query's RDP at one order α > 1 (+∞ where the computation fails): what a fixed-order filter compares. */
export function subsampledGaussianRdpAt(q: number, z: number, alpha: number): number {
  requireProbability('q', q);
  requirePositiveFinite('noise multiplier', z);
  if (!(alpha > 1 && alpha < Infinity)) throw new PrivacyParameterError('alpha', `must be a finite order > 1, got ${alpha}`);
  return subsampledGaussianRdp(q, z, alpha);
}

/** Adds RDP vectors order by order (heterogeneous composition). */
export function composeRdp(...vectors: ArrayLike<number>[]): number[] {
  const first = vectors[0];
  if (!first) return [];
  const total = new Array<number>(first.length).fill(0);
  for (const vector of vectors) {
    if (vector.length !== first.length) throw new RangeError('RDP vectors over different order grids');
    for (let i = 0; i < vector.length; i++) total[i]! += vector[i]!;
  }
  return total;
}

/** (ε, δ) of `queries` identical queries. */
export function epsilon(request: EpsilonRequest): EpsilonResult {
  validateQuery(request);
  requireCount('queries', request.queries, 0);
  requireOpenUnit('delta', request.delta);
  const grid = resolveOrders(request.orders);
  const z = noiseMultiplier(request.sigma, request.k);
  return { ...epsilonForMultiplier(request.q, z, request.queries, request.delta, grid, request.conversion ?? 'improved'), noiseMultiplier: z };
}

function epsilonForMultiplier(q: number, z: number, queries: number, delta: number, grid: readonly number[], conversion: Conversion) {
  const rdp = grid.map((alpha) => queries * subsampledGaussianRdp(q, z, alpha));
  // 0·∞ is NaN: an order dropped for one query stays dropped for zero queries too (conservative either way).
  return epsilonFromRdp(rdp.map((v) => (Number.isNaN(v) ? Infinity : v)), grid, delta, conversion);
}

const SIGMA_FLOOR = 1e-6;
const SIGMA_CEILING = 1e6;
/** Relative width of the final bracket: the returned σ is at most this much above the true minimum. */
const RELATIVE_TOLERANCE = 1e-7;

/**
 * The smallest σ (to a relative tolerance of 1e-7) whose ε for `queries` queries is ≤ the target. Bisection on
 * log σ over a bracket found by doubling; ε is non-increasing in σ. The returned σ is the upper end of the final
 * bracket and its ε is recomputed and checked, so the result never exceeds the target.
 */
export function calibrateSigma(request: CalibrationRequest): CalibrationResult {
  const q = requireProbability('q', request.q);
  const k = requireCount('k', request.k, 1);
  requireCount('queries', request.queries, 1);
  const delta = requireOpenUnit('delta', request.delta);
  const target = requirePositiveFinite('epsilon', request.epsilon);
  const grid = resolveOrders(request.orders);
  const conversion = request.conversion ?? 'improved';
  const epsAt = (sigma: number) => epsilonForMultiplier(q, noiseMultiplier(sigma, k), request.queries, delta, grid, conversion).epsilon;

  let hi = 1;
  while (!(epsAt(hi) <= target)) {
    hi *= 4;
    if (hi > SIGMA_CEILING) {
      throw new CalibrationError(
        `no σ ≤ ${SIGMA_CEILING} reaches ε ≤ ${target} at δ = ${delta} for ${request.queries} queries (q = ${q}, k = ${k}); raise ε or δ, or plan fewer queries`,
      );
    }
  }
  let lo = hi / 4;
  while (epsAt(lo) <= target) {
    hi = lo;
    lo /= 4;
    if (lo < SIGMA_FLOOR) break;
  }
  while (hi - lo > RELATIVE_TOLERANCE * hi) {
    const mid = Math.sqrt(lo * hi);
    if (epsAt(mid) <= target) hi = mid;
    else lo = mid;
  }
  const verified = epsilon({ q, sigma: hi, k, queries: request.queries, delta, orders: grid, conversion });
  if (!(verified.epsilon <= target)) {
    throw new CalibrationError(`calibration could not verify ε ≤ ${target}; refusing to return an unverified σ`);
  }
  return { sigma: hi, epsilon: verified.epsilon, order: verified.order, noiseMultiplier: verified.noiseMultiplier };
}
