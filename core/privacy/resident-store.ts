/**
 * Stores held whole in memory, float32 or float16 (docs/design.md §3): in a SIMD arena (simd-scores.ts) where the
 * kernel can serve, else in a plain typed array scored by the scalar loop (float64 sums). `rowsOf` lets every
 * retrieval function take a plain EmbeddingMatrix too.
 */
import type { EmbeddingMatrix, EmbeddingRows, StorePrecision } from './embedding-matrix.ts';
import { validateMatrixShape, validateRowsShape } from './embedding-matrix.ts';
import { FLOAT16_VALUES } from './float16.ts';
import { allocateArena, type ScoringArena } from './simd-scores.ts';

export class ResidentStore implements EmbeddingRows {
  readonly rows: number;
  readonly dim: number;
  readonly precision: StorePrecision;
  /** The values, row-major: float32, or binary16 patterns. Fill in place. */
  readonly values: Float32Array | Uint16Array;
  private readonly arena: ScoringArena | undefined;
  private readonly decode: ArrayLike<number> | undefined;

  constructor(rows: number, dim: number, precision: StorePrecision, arena?: ScoringArena, values?: Float32Array | Uint16Array) {
    this.rows = rows;
    this.dim = dim;
    this.precision = precision;
    this.arena = arena;
    this.values = arena ? arena.values : (values ?? (precision === 'float16' ? new Uint16Array(rows * dim) : new Float32Array(rows * dim)));
    this.decode = precision === 'float16' ? FLOAT16_VALUES : undefined;
    validateRowsShape(this);
    if (this.values.length < rows * dim) throw new RangeError(`a store of ${rows}×${dim} needs ${rows * dim} values`);
  }

  /** The values as bytes (for reading a file straight into them). */
  get bytes(): Uint8Array {
    return new Uint8Array(this.values.buffer, this.values.byteOffset, this.rows * this.dim * this.values.BYTES_PER_ELEMENT);
  }

  /** Whether the SIMD kernel scores this store. */
  get simd(): boolean {
    return this.arena !== undefined;
  }

  scores(query: Float64Array, rows: ArrayLike<number>): ArrayLike<number> {
    if (this.arena) return this.arena.score(query, rows);
    const { values, dim } = this;
    const out = new Float64Array(rows.length);
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]!;
      if (!(Number.isInteger(row) && row >= 0 && row < this.rows)) throw new RangeError(`row ${row} is not in this store`);
      out[r] = this.decode ? decodedProduct(values, this.decode, row * dim, query, dim) : innerProduct(values as Float32Array, row * dim, query, dim);
    }
    return out;
  }

  readRow(row: number, out: Float64Array): void {
    if (!(Number.isInteger(row) && row >= 0 && row < this.rows)) throw new RangeError(`row ${row} is not in this store`);
    const offset = row * this.dim;
    for (let j = 0; j < this.dim; j++) out[j] = this.decode ? this.decode[this.values[offset + j]!]! : this.values[offset + j]!;
  }
}

/** A zeroed resident store of rows × dim in `precision`, in a SIMD arena where the kernel can serve. */
export function allocateResidentStore(rows: number, dim: number, precision: StorePrecision = 'float32'): ResidentStore {
  return new ResidentStore(rows, dim, precision, rows > 0 ? allocateArena(precision, rows, dim) : undefined);
}

const matrixStores = new WeakMap<Float32Array, ResidentStore>();

/**
 * A zeroed float32 store for the private path as a plain EmbeddingMatrix (fill `data` in place): its data lives in
 * a SIMD arena where the kernel can serve, and `rowsOf` finds that arena again.
 */
export function allocateEmbeddingMatrix(rows: number, dim: number): EmbeddingMatrix {
  const store = allocateResidentStore(rows, dim, 'float32');
  const data = store.values as Float32Array;
  matrixStores.set(data, store);
  return { data, rows, dim };
}

/** The store behind any retrieval input: an EmbeddingRows as it is, a plain matrix as a float32 resident store. */
export function rowsOf(input: EmbeddingMatrix | EmbeddingRows): EmbeddingRows {
  if ('scores' in input) {
    validateRowsShape(input);
    return input;
  }
  validateMatrixShape(input);
  const allocated = matrixStores.get(input.data);
  if (allocated && allocated.rows === input.rows && allocated.dim === input.dim) return allocated;
  return new ResidentStore(input.rows, input.dim, 'float32', undefined, input.data);
}

export function innerProduct(data: Float32Array, offset: number, query: Float64Array, dim: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let j = 0;
  for (; j + 3 < dim; j += 4) {
    s0 += data[offset + j]! * query[j]!;
    s1 += data[offset + j + 1]! * query[j + 1]!;
    s2 += data[offset + j + 2]! * query[j + 2]!;
    s3 += data[offset + j + 3]! * query[j + 3]!;
  }
  for (; j < dim; j++) s0 += data[offset + j]! * query[j]!;
  return s0 + s1 + s2 + s3;
}

function decodedProduct(bits: ArrayLike<number>, decode: ArrayLike<number>, offset: number, query: Float64Array, dim: number): number {
  let sum = 0;
  for (let j = 0; j < dim; j++) sum += decode[bits[offset + j]!]! * query[j]!;
  return sum;
}
