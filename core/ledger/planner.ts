/**
 * The utility planner (docs/design.md §4): which k (and so q) makes the private folder's influence on a generation
 * as large as its ε allows. Inputs are public numbers only — the size class, the cap, the planned workload, the ε
 * asked for, and what the model set was trained for — never the exact number of images.
 *
 * The retrieval condition is the mean of k unit vectors plus N(0, σ²I) with σ = 2z/k, so its signal-to-noise is
 * ‖mean‖/(σ·√d) ≤ 1/(σ·√d). A larger k lowers σ for the same z, but q grows with k (a subsample must hold several
 * rows per neighbour at the class's smallest size: samplingRateForSizeClass), which costs privacy; the planner
 * tries every k the decoder was trained with and keeps the one with the smallest σ at the same cost.
 */
import { admits, epsilonOfRdp, planFilter, queryRdpAt, rdpBudget, remainingEpsilon, sigmaForCost, type RenyiFilter } from './filter.ts';
import type { FolderInfluence } from '../contract/folder-influence.ts';
import { SPENT_SHARE } from '../contract/spent-share.ts';
import { classHoldsNeighbours, samplingRateForSizeClass, type SizeClass } from './size-class.ts';

export type { FolderInfluence };

/** What a model set's decoder was trained for (its manifest's `retrieval`). */
export interface RetrievalRange {
  /** The k values the decoder saw in training; the planner chooses among these only. */
  readonly trainedKs: readonly number[];
  /** Embedding dimension d. */
  readonly dim: number;
  /** Largest σ the decoder saw in training. */
  readonly sigmaMax: number;
  /**
   * Signal-to-noise 1/(σ·√d) at or above which the folder's look is strong / some, measured on the model set's
   * quality run (the σ where the judge found the folder's look in ≥ 70 % / ≥ 40 % of images).
   */
  readonly influence: { readonly strong: number; readonly some: number };
}

export interface PlannedQuery {
  readonly k: number;
  readonly q: number;
  readonly sigma: number;
  readonly signalToNoise: number;
  readonly influence: FolderInfluence;
}

/** Upper bound on the condition's signal-to-noise: an aggregate of norm ≤ 1 over the noise norm σ·√d. */
export function signalToNoise(sigma: number, dim: number): number {
  return sigma > 0 ? 1 / (sigma * Math.sqrt(dim)) : Infinity;
}

/** strong / some / weak, from the signal-to-noise and the model set's measured thresholds. */
export function folderInfluence(sigma: number, range: RetrievalRange): FolderInfluence {
  const snr = signalToNoise(sigma, range.dim);
  return snr >= range.influence.strong ? 'strong' : snr >= range.influence.some ? 'some' : 'weak';
}

function best(candidates: readonly { k: number; q: number; sigma: number | undefined }[], range: RetrievalRange): PlannedQuery | undefined {
  let chosen: { k: number; q: number; sigma: number } | undefined;
  for (const c of candidates) {
    if (c.sigma === undefined || !Number.isFinite(c.sigma)) continue;
    // Ties (within 0.5 %) go to the smaller k: fewer rows of each subsample shape the image.
    if (!chosen || c.sigma < chosen.sigma * 0.995) chosen = { k: c.k, q: c.q, sigma: c.sigma };
  }
  return chosen && { ...chosen, signalToNoise: signalToNoise(chosen.sigma, range.dim), influence: folderInfluence(chosen.sigma, range) };
}

export interface DatasetPlanRequest {
  readonly sizeClass: SizeClass;
  readonly epsilonCap: number;
  readonly delta: number;
  readonly plannedGenerations: number;
}

/**
 * The trained k values a class can feed: a subsample must hold several rows per neighbour, or the top k is the whole
 * subsample and the "nearest" neighbours are arbitrary. A class too small for every one gets the smallest.
 */
function feasibleKs(sizeClass: SizeClass, trainedKs: readonly number[]): number[] {
  const ks = [...new Set(trainedKs)].sort((a, b) => a - b);
  const fit = ks.filter((k) => classHoldsNeighbours(sizeClass, k));
  return fit.length ? fit : ks.slice(0, 1);
}

/** The k for a new dataset: the trained k with the least noise when its planned generations share the cap evenly. */
export function planDatasetK(request: DatasetPlanRequest, range: RetrievalRange): PlannedQuery | undefined {
  const spend = request.epsilonCap / request.plannedGenerations;
  const ks = feasibleKs(request.sizeClass, range.trainedKs);
  return best(
    ks.map((k) => {
      const q = samplingRateForSizeClass(request.sizeClass, k);
      try {
        const { filter } = planFilter({ q, k, generations: request.plannedGenerations, epsilonCap: request.epsilonCap, delta: request.delta });
        return { k, q, sigma: sigmaForCost(filter, { q, k }, spend) };
      } catch {
        return { k, q, sigma: undefined };
      }
    }),
    range,
  );
}

/** The (k, q, σ) of one generation costing `epsilon` under a dataset's fixed filter: the least noise at that cost. */
export function planGeneration(
  plan: { readonly filter: RenyiFilter; readonly sizeClass: SizeClass; readonly k: number; readonly q: number },
  epsilon: number,
  range: RetrievalRange,
  sigmaOf: (q: number, k: number) => number | undefined = (q, k) => sigmaForCost(plan.filter, { q, k }, epsilon),
): PlannedQuery | undefined {
  const ks = [...new Set([plan.k, ...feasibleKs(plan.sizeClass, range.trainedKs)])].sort((a, b) => a - b);
  return best(
    ks.map((k) => {
      const q = k === plan.k ? plan.q : samplingRateForSizeClass(plan.sizeClass, k);
      return { k, q, sigma: sigmaOf(q, k) };
    }),
    range,
  );
}

/** The spends one generation can be offered: [min, max] ε, both as a person reads them (a few significant digits). */
export interface SpendRange {
  readonly min: number;
  readonly max: number;
}

const floorSignificant = (x: number, digits: number): number => {
  const m = 10 ** (Math.floor(Math.log10(x)) - digits + 1);
  return Number((Math.floor(x / m) * m).toPrecision(digits));
};
const ceilSignificant = (x: number, digits: number) => {
  const m = 10 ** (Math.floor(Math.log10(x)) - digits + 1);
  return Number((Math.ceil(x / m) * m).toPrecision(digits));
};

/** What is left, rounded down to what a person can ask for (three significant digits): the top of the ε control. */
export function offeredCeiling(left: number): number {
  return floorSignificant(left, 3);
}

/**
 * What the ε control may offer one generation of a dataset, from public numbers only. The most is what is left
 * (rounded down, so that the top of the range always fits). The least is what a generation at the planned (k, q)
 * costs at the noisiest σ where the folder's look still shows at all (signal-to-noise at the "some" threshold):
 * spending less buys noise the decoder cannot read. When even the most buys less than that, the range reaches two
 * decades below it, and the preview says the influence is weak. Undefined once less than SPENT_SHARE of the cap
 * is left.
 */
export function usefulSpendRange(
  plan: { readonly filter: RenyiFilter; readonly k: number; readonly q: number; readonly spentRdp: number },
  range: RetrievalRange,
): SpendRange | undefined {
  const left = remainingEpsilon(plan.filter, plan.spentRdp);
  if (!(left >= SPENT_SHARE * plan.filter.epsilonCap) || !Number.isFinite(left)) return undefined;
  const max = offeredCeiling(left);
  if (!(max > 0) || !admits(plan.filter, plan.spentRdp, (max * rdpBudget(plan.filter)) / plan.filter.epsilonCap)) return undefined;
  const weakestSigma = 1 / (range.influence.some * Math.sqrt(range.dim));
  const leastUseful = epsilonOfRdp(plan.filter, queryRdpAt(plan.filter, { q: plan.q, k: plan.k, sigma: weakestSigma }));
  const min = Number.isFinite(leastUseful) && leastUseful > 0 && leastUseful <= max ? Math.min(max, ceilSignificant(leastUseful, 2)) : floorSignificant(max / 100, 2);
  return { min, max };
}
