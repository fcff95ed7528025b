/**
 * Per-query mechanism parameters: the defaults a dataset gets, and the σ that spends exactly the ε a curator asked
 * for. Every number here is public (N, k, q, δ, σ); none depends on the private images' content.
 */
import { calibrateSigma } from '../privacy/index.ts';
import { StudioError } from './contract.ts';

/** DP-RDM's operating point: an expected subsample of about 20·k rows (Lebensold et al. 2024, §4). */
export const EXPECTED_SUBSAMPLE_PER_NEIGHBOUR = 20;
/** Below an expected 2·k rows the top-k is mostly zero padding: warn. */
export const THIN_SUBSAMPLE_PER_NEIGHBOUR = 2;

export interface QueryDefaults {
  readonly k: number;
  readonly q: number;
}

/** k from the model set; q so that N·q ≈ 20·k, capped at 1. */
export function defaultQuery(members: number, k: number): QueryDefaults {
  if (!(Number.isInteger(members) && members >= 1)) throw new RangeError(`a dataset needs at least one image, got ${members}`);
  const q = Math.min(1, (EXPECTED_SUBSAMPLE_PER_NEIGHBOUR * k) / members);
  return { k, q };
}

export interface ResolvedQuery {
  readonly k: number;
  readonly q: number;
  readonly sigma: number;
  /** The ε asked for (when σ was calibrated), else undefined. */
  readonly targetEpsilon: number | undefined;
  readonly warnings: string[];
}

export interface QueryRequest {
  readonly epsilon?: number | undefined;
  readonly sigma?: number | undefined;
  readonly k?: number | undefined;
  readonly q?: number | undefined;
}

// calibrateSigma is a pure function of public numbers and takes tens of ms (a bisection over the order grid); the
// slider preview asks for the same few (q, k, δ, ε) again and again, so recent answers are kept.
const CALIBRATION_CACHE_SIZE = 256;
const calibrationCache = new Map<string, number>();

function calibratedSigmaForOneQuery(q: number, k: number, delta: number, epsilon: number): number {
  const key = `${q}|${k}|${delta}|${epsilon}`;
  const cached = calibrationCache.get(key);
  if (cached !== undefined) return cached;
  const { sigma } = calibrateSigma({ q, k, queries: 1, delta, epsilon });
  if (calibrationCache.size >= CALIBRATION_CACHE_SIZE) calibrationCache.delete(calibrationCache.keys().next().value!);
  calibrationCache.set(key, sigma);
  return sigma;
}

/**
 * The query's (k, q, σ): the request's values over the dataset's defaults; σ calibrated for one query at the
 * dataset's δ when ε is given (the ledger then charges exactly the ε that σ achieves, ≤ the target).
 */
export function resolveQuery(request: QueryRequest, members: number, modelK: number, delta: number, sigmaMax: number): ResolvedQuery {
  const defaults = defaultQuery(members, modelK);
  const k = request.k ?? defaults.k;
  const q = request.q ?? defaults.q;
  let sigma: number;
  if (request.sigma !== undefined) sigma = request.sigma;
  else if (request.epsilon !== undefined) {
    try {
      sigma = calibratedSigmaForOneQuery(q, k, delta, request.epsilon);
    } catch (error) {
      throw new StudioError('INVALID_REQUEST', `no noise level gives ε ≤ ${request.epsilon} for one query: ${(error as Error).message}`);
    }
  } else throw new StudioError('INVALID_REQUEST', 'give epsilon or sigma');
  const warnings: string[] = [];
  if (members * q < THIN_SUBSAMPLE_PER_NEIGHBOUR * k) {
    warnings.push(`The subsample holds about ${Math.max(0, members * q).toFixed(1)} images on average, fewer than 2·k = ${2 * k}: the retrieved condition will be weak. Raise q or add images.`);
  }
  if (sigma > sigmaMax) {
    warnings.push(`σ = ${sigma.toPrecision(3)} is above the σ ≤ ${sigmaMax} the model set was trained for: expect images that follow the prompt more than your collection. Spend more ε per query or lower λ.`);
  }
  return { k, q, sigma, targetEpsilon: request.epsilon, warnings };
}

/** Expected norm of an aggregate (≤ 1) over the expected noise norm σ·√d. */
export function signalToNoise(sigma: number, dim: number): number {
  return 1 / (sigma * Math.sqrt(dim));
}
