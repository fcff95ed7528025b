/**
 * Rényi DP of one Poisson-subsampled Gaussian query under add/remove adjacency.
 *
 * Mironov, Talwar, Zhang (2019), "Rényi Differential Privacy of the Sampled Gaussian Mechanism":
 * RDP(α) = ln(A_α)/(α − 1), with A_α the exact binomial sum of §3.3 for integer α and the two convergent series
 * of §3.4 for fractional α. This follows the reference implementation (TF-Privacy's rdp_accountant, also used by
 * Opacus) term for term, including its stopping rule, so the published reference values reproduce.
 *
 * Conservative numerics: whenever a sum produces NaN, a log of a negative number, or a series that has not
 * converged within MAX_SERIES_TERMS, that order's RDP is +∞, which drops the order from the ε minimisation.
 */
import { logAdd, logErfc, logSub } from './special.ts';

const MAX_SERIES_TERMS = 100_000;
/** The reference's stopping rule: stop once both new terms are below e^-30 relative to 1. */
const SERIES_LOG_TOLERANCE = -30;

/** ln A_α for integer α: Σ_i C(α,i) q^i (1−q)^(α−i) exp((i² − i)/(2z²)). */
function logAInteger(q: number, z: number, alpha: number): number {
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const twoZ2 = 2 * z * z;
  let logA = -Infinity;
  let logBinom = 0; // ln C(α, 0)
  for (let i = 0; i <= alpha; i++) {
    if (i > 0) logBinom += Math.log((alpha - i + 1) / i);
    const term = logBinom + i * logQ + (alpha - i) * log1mQ + (i * i - i) / twoZ2;
    logA = logAdd(logA, term);
  }
  return logA;
}

/** ln A_α for fractional α: the two series of Mironov et al. §3.4 (their Eq. for A_α = A_α0 + A_α1). */
function logAFractional(q: number, z: number, alpha: number): number {
  let logA0 = -Infinity;
  let logA1 = -Infinity;
  const z0 = z * z * Math.log(1 / q - 1) + 0.5;
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const twoZ2 = 2 * z * z;
  const sqrt2Z = Math.SQRT2 * z;
  // Generalised binomial coefficient C(α, i), carried as ln|C| and its sign: C(α, i+1) = C(α, i)·(α − i)/(i + 1).
  let logAbsCoef = 0;
  let coefPositive = true;
  for (let i = 0; i < MAX_SERIES_TERMS; i++) {
    if (i > 0) {
      const factor = (alpha - (i - 1)) / i;
      if (factor === 0) return NaN; // cannot happen for fractional α; refuse rather than guess
      logAbsCoef += Math.log(Math.abs(factor));
      if (factor < 0) coefPositive = !coefPositive;
    }
    const j = alpha - i;
    const logT0 = logAbsCoef + i * logQ + j * log1mQ;
    const logT1 = logAbsCoef + j * logQ + i * log1mQ;
    const logE0 = Math.log(0.5) + logErfc((i - z0) / sqrt2Z);
    const logE1 = Math.log(0.5) + logErfc((z0 - j) / sqrt2Z);
    const logS0 = logT0 + (i * i - i) / twoZ2 + logE0;
    const logS1 = logT1 + (j * j - j) / twoZ2 + logE1;
    if (coefPositive) {
      logA0 = logAdd(logA0, logS0);
      logA1 = logAdd(logA1, logS1);
    } else {
      logA0 = logSub(logA0, logS0);
      logA1 = logSub(logA1, logS1);
    }
    if (Number.isNaN(logA0) || Number.isNaN(logA1)) return NaN;
    if (Math.max(logS0, logS1) < SERIES_LOG_TOLERANCE) return logAdd(logA0, logA1);
  }
  return NaN; // did not converge: the caller drops this order
}

/** How far below zero a computed RDP may fall from rounding alone before the order is declared failed. */
export const NEGATIVE_RDP_TOLERANCE = -1e-12;
/** A few ulps of 1: the resolution of a computed ln A near 0 (RDP = ln A/(α−1) is never counted below it). */
const LOG_RESOLUTION = 4 * 2 ** -52;

/**
 * RDP at order α of one query of the Poisson-subsampled Gaussian mechanism with sampling rate q and noise
 * multiplier z = σ/Δ. Returns +∞ for an order whose computation failed (never a lower, unsafe value).
 * Inputs are assumed validated by the caller (q ∈ (0,1], z > 0 finite, α > 1 finite).
 */
export function subsampledGaussianRdp(q: number, z: number, alpha: number): number {
  let rdp: number;
  if (q === 1) {
    rdp = alpha / (2 * z * z); // the plain Gaussian mechanism
  } else if (Number.isInteger(alpha)) {
    rdp = logAInteger(q, z, alpha) / (alpha - 1);
  } else {
    rdp = logAFractional(q, z, alpha) / (alpha - 1);
  }
  return countedRdp(rdp, alpha);
}

/**
 * What a computed RDP counts for. RDP ≥ 0 always: a value below a tiny negative tolerance (float cancellation in the
 * series) is a numerical failure, as is NaN, and the order becomes +∞ (never used, never 0). Above it, ln A is only
 * resolved to a few ulps of 1, so a smaller value (0 included) is rounding of a true value at most that large: that
 * resolution is what is counted.
 */
export function countedRdp(rdp: number, alpha: number): number {
  if (!(rdp >= NEGATIVE_RDP_TOLERANCE)) return Infinity;
  return Math.max(rdp, LOG_RESOLUTION / (alpha - 1));
}

/** One query's RDP at every order of `orders`. */
export function subsampledGaussianRdpVector(q: number, z: number, orders: readonly number[]): number[] {
  return orders.map((alpha) => subsampledGaussianRdp(q, z, alpha));
}
