import { PrivacyParameterError } from './errors.ts';

/** N unit-norm rows of d float32 values, contiguous and row-major: the private store the mechanism reads. */
export interface EmbeddingMatrix {
  readonly data: Float32Array;
  readonly rows: number;
  readonly dim: number;
}

export function validateMatrixShape(matrix: EmbeddingMatrix): void {
  if (!Number.isSafeInteger(matrix.rows) || matrix.rows < 0 || !Number.isSafeInteger(matrix.dim) || matrix.dim < 1) {
    throw new PrivacyParameterError('store', 'rows must be an integer ≥ 0 and dim an integer ≥ 1');
  }
  if (!(matrix.data instanceof Float32Array) || matrix.data.length !== matrix.rows * matrix.dim) {
    throw new PrivacyParameterError('store', `data must be a Float32Array of rows × dim = ${matrix.rows * matrix.dim} values`);
  }
}
