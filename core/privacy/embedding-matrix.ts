import { PrivacyParameterError } from './errors.ts';

/** How a store keeps its values: float32, or IEEE binary16 patterns (half the bytes; see float16.ts). */
export type StorePrecision = 'float32' | 'float16';

/** N unit-norm rows of d float32 values, contiguous and row-major, in memory (public sets, small stores, tests). */
export interface EmbeddingMatrix {
  readonly data: Float32Array;
  readonly rows: number;
  readonly dim: number;
}

/**
 * What the retrieval reads (docs/design.md §3): N rows of d values, wherever and however they are kept — resident
 * in float32 or float16 (resident-store.ts), or read by row ranges from the index's file (core/datasets). Only
 * two operations, so the subsample, the exact top-k and the clipped mean are the same code for every store.
 */
export interface EmbeddingRows {
  readonly rows: number;
  readonly dim: number;
  readonly precision: StorePrecision;
  /** The inner products of `query` with each listed row, in list order (float32 or better); an index outside the store is an error. */
  scores(query: Float64Array, rows: ArrayLike<number>): ArrayLike<number>;
  /** Row `row`'s values, exactly, into `out` (length dim). */
  readRow(row: number, out: Float64Array): void;
}

export function validateMatrixShape(matrix: EmbeddingMatrix): void {
  validateRowsShape(matrix);
  if (!(matrix.data instanceof Float32Array) || matrix.data.length !== matrix.rows * matrix.dim) {
    throw new PrivacyParameterError('store', `data must be a Float32Array of rows × dim = ${matrix.rows * matrix.dim} values`);
  }
}

export function validateRowsShape(store: Pick<EmbeddingRows, 'rows' | 'dim'>): void {
  if (!Number.isSafeInteger(store.rows) || store.rows < 0 || !Number.isSafeInteger(store.dim) || store.dim < 1) {
    throw new PrivacyParameterError('store', 'rows must be an integer ≥ 0 and dim an integer ≥ 1');
  }
}
