/**
 * Typed errors of the dataset indexer. Every error has a stable `.code` and an `exitCode` for the CLI
 * (2 = bad input, 1 = the operation failed). Messages may name the curator's own folder (they go to the
 * curator's terminal), never to the ledger or the generation path.
 */

export abstract class DatasetError extends Error {
  abstract readonly code: string;
  abstract readonly exitCode: number;
}

/** The folder, id, name or option is unusable (missing folder, inside the studio's home, bad .npy…). */
export class DatasetInputError extends DatasetError {
  readonly code = 'DATASET_INVALID_INPUT' as const;
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'DatasetInputError';
  }
}

export class DatasetIndexNotFoundError extends DatasetError {
  readonly code = 'DATASET_INDEX_NOT_FOUND' as const;
  readonly exitCode = 2;
  constructor(readonly datasetId: string) {
    super(`no indexed dataset "${datasetId}"; see the dataset list`);
    this.name = 'DatasetIndexNotFoundError';
  }
}

/** The run was cancelled through its AbortSignal. Everything persisted so far is kept; the next run resumes. */
export class DatasetCancelledError extends DatasetError {
  readonly code = 'DATASET_CANCELLED' as const;
  readonly exitCode = 1;
  constructor(readonly filesPersisted: number) {
    super(`indexing was cancelled; ${filesPersisted} files were saved and will not be redone when it resumes`);
    this.name = 'DatasetCancelledError';
  }
}

/** The index on disk is damaged or inconsistent with itself or with the ledger. */
export class DatasetIndexCorruptError extends DatasetError {
  readonly code = 'DATASET_INDEX_CORRUPT' as const;
  readonly exitCode = 1;
  constructor(message: string) {
    super(message);
    this.name = 'DatasetIndexCorruptError';
  }
}

/** The dataset has nothing usable: no indexed image (everything quarantined, or an empty folder). */
export class DatasetEmptyError extends DatasetError {
  readonly code = 'DATASET_EMPTY' as const;
  readonly exitCode = 1;
  constructor(message: string) {
    super(message);
    this.name = 'DatasetEmptyError';
  }
}
