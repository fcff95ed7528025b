/**
 * Per-query mechanism parameters from public numbers only: the dataset's plan (its size class, q, k and Rényi filter,
 * fixed at creation) and what the curator asks for. A generation's ε is what it costs — the decrease of the remaining
 * budget under the dataset's filter (core/ledger/filter.ts) — and σ is the smallest noise with that cost.
 * Nothing here reads the exact number of images.
 */
import { folderInfluence, planGeneration, samplingRateForSizeClass, sigmaForCost, signalToNoise, type DatasetInfo, type FolderInfluence, type RetrievalRange } from '../ledger/index.ts';
import { StudioError } from '../contract/contract.ts';

/** Below an expected 2·k rows (at the class's smallest size) the top-k is mostly zero padding: warn. */
export const THIN_SUBSAMPLE_PER_NEIGHBOUR = 2;

/** The dataset facts a query is planned from (all public; see DatasetInfo). */
export type DatasetPlan = Pick<DatasetInfo, 'filter' | 'sizeClass' | 'q' | 'k' | 'plannedGenerations' | 'epsilonCap'>;

export interface ResolvedQuery {
  readonly k: number;
  readonly q: number;
  readonly sigma: number;
  /** Upper bound on the condition's signal-to-noise, 1/(σ·√d), and what it means for the folder's look. */
  readonly signalToNoise: number;
  readonly influence: FolderInfluence;
  /** The cost asked for (when σ was derived from it), else undefined. */
  readonly targetEpsilon: number | undefined;
  readonly warnings: string[];
}

export interface QueryRequest {
  readonly epsilon?: number | undefined;
  readonly sigma?: number | undefined;
  readonly k?: number | undefined;
  readonly q?: number | undefined;
}

/** The spend a dataset was planned for: its cap over its planned generations. */
export function plannedSpend(plan: DatasetPlan): number {
  return plan.epsilonCap / plan.plannedGenerations;
}

// sigmaForCost is a pure function of public numbers (a bisection at one order); the slider preview asks for the
// same few again and again, so recent answers are kept.
const CACHE_SIZE = 256;
const sigmaCache = new Map<string, number | undefined>();

function cachedSigma(plan: DatasetPlan, q: number, k: number, epsilon: number): number | undefined {
  const f = plan.filter;
  const key = `${f.order}|${f.epsilonCap}|${f.delta}|${q}|${k}|${epsilon}`;
  if (sigmaCache.has(key)) return sigmaCache.get(key);
  const sigma = sigmaForCost(f, { q, k }, epsilon);
  if (sigmaCache.size >= CACHE_SIZE) sigmaCache.delete(sigmaCache.keys().next().value!);
  sigmaCache.set(key, sigma);
  return sigma;
}

/**
 * The query's (k, q, σ). σ is the request's, or the smallest whose cost is the ε asked for (default: the planned
 * spend); the ledger then charges exactly that σ's cost (≤ the ε asked for). k and q are the request's; when the
 * request names neither, the planner (core/ledger/planner.ts) picks the trained k with the least noise at that cost
 * (a k other than the dataset's gets the q its size class gives for that k).
 */
export function resolveQuery(request: QueryRequest, plan: DatasetPlan, range: RetrievalRange): ResolvedQuery {
  const targetEpsilon = request.sigma === undefined ? (request.epsilon ?? plannedSpend(plan)) : undefined;
  let k = request.k ?? plan.k;
  let q = request.q ?? (k === plan.k ? plan.q : samplingRateForSizeClass(plan.sizeClass, k));
  let sigma: number;
  if (request.sigma !== undefined) sigma = request.sigma;
  else if (request.k === undefined && request.q === undefined) {
    const planned = planGeneration(plan, targetEpsilon!, range, (qq, kk) => cachedSigma(plan, qq, kk, targetEpsilon!));
    if (planned === undefined) throw new StudioError('INVALID_REQUEST', `no noise level makes a generation cost as little as ε ${targetEpsilon}; ask for more`);
    ({ k, q, sigma } = planned);
  } else {
    const found = cachedSigma(plan, q, k, targetEpsilon!);
    if (found === undefined) throw new StudioError('INVALID_REQUEST', `no noise level makes a generation cost as little as ε ${targetEpsilon}; ask for more`);
    sigma = found;
  }
  const warnings: string[] = [];
  if (q * plan.sizeClass.lower < THIN_SUBSAMPLE_PER_NEIGHBOUR * k) {
    warnings.push(`With q = ${q.toPrecision(2)} a subsample of the smallest collection of this size class holds about ${(q * plan.sizeClass.lower).toFixed(1)} images, fewer than 2·k = ${2 * k}: the retrieved condition will be weak. Raise q or lower k.`);
  }
  if (sigma > range.sigmaMax) {
    warnings.push(`σ = ${sigma.toPrecision(3)} is above the σ ≤ ${range.sigmaMax} the model set was trained for: expect images that follow the prompt more than your collection. Spend more ε per generation.`);
  }
  return { k, q, sigma, signalToNoise: signalToNoise(sigma, range.dim), influence: folderInfluence(sigma, range), targetEpsilon, warnings };
}
