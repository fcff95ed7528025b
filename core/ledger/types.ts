/** The ledger's public records and the mechanism it accounts for (docs/design.md §4–5). */
import type { RenyiFilter } from './filter.ts';
import type { SizeClass } from './size-class.ts';

/** A query's kind: a released generation, or an evaluation's audit query (never released; costs the same). */
export type ChargeKind = 'release' | 'audit';

export const PRIVACY_UNIT = 'image';
export const MECHANISM = 'dp-rdm-retrieval: Poisson subsampling (rate q), mean of k neighbours clipped to norm 1 (sensitivity 2/k), Gaussian noise σ';
export const ACCOUNTANT =
  'Rényi DP of the Poisson-subsampled Gaussian (Mironov, Talwar & Zhang 2019) at one order fixed per dataset; admission by the Rényi filter at that order (Feldman & Zrnic 2021); (ε, δ) by Balle et al. (2020)';
export const CONVERSION = 'improved';

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
