/**
 * Typed ledger errors. Every error carries a stable `.code`; the CLI maps `exitCode` (2 = bad input,
 * 1 = a check failed or the ledger refused). Nothing was written when any of these is thrown, except
 * where stated (a failed integrity check locks the dataset before the error is thrown).
 */

export abstract class LedgerError extends Error {
  abstract readonly code: string;
  abstract readonly exitCode: number;
}

/** A malformed id, cap, δ, hash, purpose or mechanism parameter. */
export class LedgerInputError extends LedgerError {
  readonly code = 'LEDGER_INVALID_INPUT' as const;
  readonly exitCode = 2;
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(`${parameter}: ${message}`);
    this.name = 'LedgerInputError';
  }
}

export class DatasetNotFoundError extends LedgerError {
  readonly code = 'DATASET_NOT_FOUND' as const;
  readonly exitCode = 2;
  constructor(readonly datasetId: string) {
    super(`no dataset "${datasetId}" in this ledger`);
    this.name = 'DatasetNotFoundError';
  }
}

/** Some of the images are already members of another dataset: their spend lives there. */
export class DatasetOverlapError extends LedgerError {
  readonly code = 'DATASET_OVERLAP' as const;
  readonly exitCode = 2;
  constructor(
    readonly otherDatasetIds: readonly string[],
    readonly sharedImages: number,
  ) {
    super(
      `${sharedImages} of these images already belong to dataset ${otherDatasetIds.join(', ')}; their privacy spend is recorded there. ` +
        'Change that dataset’s members (replaceMembers) instead of creating an overlapping dataset, which would reset their budget.',
    );
    this.name = 'DatasetOverlapError';
  }
}

export interface HistorySource {
  readonly datasetId: string;
  /** How many of the images came from it. */
  readonly images: number;
  readonly order: number;
  readonly epsilonCap: number;
}

/**
 * Some of the images were members of another dataset before, and their spend cannot be carried into this one:
 * the datasets account at different Rényi orders ('orders'), the other dataset promised those images a larger cap
 * than this one can keep ('cap'; `minimumCap` is the smallest cap that can), or this dataset has too little
 * budget left to take on their spend ('spent'). Nothing was written.
 */
export class DatasetHistoryError extends LedgerError {
  readonly code = 'DATASET_HISTORY' as const;
  readonly exitCode = 2;
  constructor(
    readonly reason: 'orders' | 'cap' | 'spent',
    readonly sources: readonly HistorySource[],
    readonly minimumCap: number | undefined,
  ) {
    const images = sources.reduce((a, s) => a + s.images, 0);
    const from = sources.map((s) => s.datasetId).join(', ');
    super(
      reason === 'orders'
        ? `${images} of these images were members of ${from}, accounted at another Rényi order; their spend can only be carried into a dataset at the same order. Keep them in separate datasets.`
        : reason === 'cap'
          ? `${images} of these images were members of ${from}, which promised them a cap of up to ε ${Math.max(...sources.map((s) => s.epsilonCap))}; a dataset holding them must keep that promise: give it a cap of at least ε ${minimumCap === undefined ? '?' : (Math.ceil(minimumCap * 1000) / 1000).toString()}, or leave those images out.`
          : `${images} of these images carry spend from ${from} that does not fit in what this dataset has left; leave them out, or keep them where they were.`,
    );
    this.name = 'DatasetHistoryError';
  }
}

export interface BudgetRefusal {
  readonly datasetId: string;
  readonly epsilonCap: number;
  readonly delta: number;
  /** ε spent so far (the cumulative ε before this query). */
  readonly cumulativeEpsilon: number;
  /** cap − spent, never negative. */
  readonly remainingEpsilon: number;
  /** What this query would have cost (ε). */
  readonly epsilonCost: number;
  /** The cumulative ε the dataset would have had with this query (may be +∞). */
  readonly epsilonIfAdmitted: number;
  /** How many more queries identical to the refused one fit: always 0 for a refusal. */
  readonly identicalQueriesThatFit: number;
  /** The smallest σ (same q and k) with which one more query would fit, or undefined when none ≤ 1e6 would. */
  readonly suggestedSigma: number | undefined;
}

/** The Rényi filter refused the query: nothing was written and no private row may be read. */
export class BudgetExceededError extends LedgerError implements BudgetRefusal {
  readonly code = 'BUDGET_EXCEEDED' as const;
  readonly exitCode = 1;
  readonly datasetId: string;
  readonly epsilonCap: number;
  readonly delta: number;
  readonly cumulativeEpsilon: number;
  readonly remainingEpsilon: number;
  readonly epsilonCost: number;
  readonly epsilonIfAdmitted: number;
  readonly identicalQueriesThatFit: number;
  readonly suggestedSigma: number | undefined;
  constructor(refusal: BudgetRefusal) {
    const fmt = (x: number) => (Number.isFinite(x) ? String(Number(x.toPrecision(8))) : '∞');
    const suggestion =
      refusal.suggestedSigma === undefined
        ? 'no noise level makes another query of this kind fit; the budget is spent'
        : `a query with σ ≥ ${refusal.suggestedSigma.toPrecision(4)} (same q and k) would still fit`;
    super(
      `privacy budget exceeded for dataset ${refusal.datasetId}: this query would bring ε to ${fmt(refusal.epsilonIfAdmitted)} ` +
        `> cap ${fmt(refusal.epsilonCap)} (δ = ${refusal.delta}); spent ε = ${fmt(refusal.cumulativeEpsilon)}, remaining ε = ${fmt(refusal.remainingEpsilon)}; ` +
        `0 more queries of this kind fit; ${suggestion}`,
    );
    this.name = 'BudgetExceededError';
    this.datasetId = refusal.datasetId;
    this.epsilonCap = refusal.epsilonCap;
    this.delta = refusal.delta;
    this.cumulativeEpsilon = refusal.cumulativeEpsilon;
    this.remainingEpsilon = refusal.remainingEpsilon;
    this.epsilonCost = refusal.epsilonCost;
    this.epsilonIfAdmitted = refusal.epsilonIfAdmitted;
    this.identicalQueriesThatFit = refusal.identicalQueriesThatFit;
    this.suggestedSigma = refusal.suggestedSigma;
  }
}

/** The dataset failed verification (or an integrity check at charge time) and takes no charges until unlocked. */
export class LedgerLockedError extends LedgerError {
  readonly code = 'LEDGER_LOCKED' as const;
  readonly exitCode = 1;
  constructor(
    readonly datasetId: string,
    readonly reason: string,
  ) {
    super(`dataset ${datasetId} is locked: ${reason}. Verify its ledger and, if verification fails, restore the ledger from a backup; only the curator can unlock it.`);
    this.name = 'LedgerLockedError';
  }
}

/** The database file is damaged, truncated, not a ledger, or from a newer studio version. */
export class LedgerCorruptError extends LedgerError {
  readonly code = 'LEDGER_CORRUPT' as const;
  readonly exitCode = 1;
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`the privacy ledger at ${path} cannot be used: ${detail}. It was not modified; restore it from a backup (never delete it: that would forget the privacy already spent)`);
    this.name = 'LedgerCorruptError';
  }
}

/** The ledger may not live there: a private image folder, or a network file system (SQLite locking is unreliable there). */
export class LedgerLocationError extends LedgerError {
  readonly code = 'LEDGER_LOCATION_REFUSED' as const;
  readonly exitCode = 2;
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`refusing to open the privacy ledger at ${path}: ${reason}`);
    this.name = 'LedgerLocationError';
  }
}

/** The database was written by a newer studio (a schema version this code does not know). */
export class LedgerSchemaError extends LedgerError {
  readonly code = 'LEDGER_SCHEMA_TOO_NEW' as const;
  readonly exitCode = 1;
  constructor(
    readonly path: string,
    readonly foundVersion: number,
    readonly supportedVersion: number,
  ) {
    super(`the privacy ledger at ${path} has schema version ${foundVersion}; this studio understands up to ${supportedVersion}. Update the studio; the file was not modified`);
    this.name = 'LedgerSchemaError';
  }
}

export class LedgerClosedError extends LedgerError {
  readonly code = 'LEDGER_CLOSED' as const;
  readonly exitCode = 1;
  constructor() {
    super('the ledger is closed');
    this.name = 'LedgerClosedError';
  }
}
