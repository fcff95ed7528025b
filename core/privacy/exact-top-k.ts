/**
 * Exact top-k by inner product over a given set of rows (the Poisson subsample). Exact, never approximate:
 * an HNSW/IVF answer depends on rows that were not sampled and would break the sensitivity argument
 * (docs/design.md §3 step 3). Ties are broken by the lower row index; a non-finite score ranks below every finite one.
 * Scores come from the SIMD kernel (./simd-scores.ts) for stores it allocated, from the scalar loop otherwise.
 */
import type { EmbeddingMatrix } from './embedding-matrix.ts';
import { simdScores } from './simd-scores.ts';

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

/** True when (scoreA, rowA) ranks strictly before (scoreB, rowB). */
function ranksBefore(scoreA: number, rowA: number, scoreB: number, rowB: number): boolean {
  return scoreA > scoreB || (scoreA === scoreB && rowA < rowB);
}

/**
 * The (at most k) best rows among `rows`, best first. `rows` lists row indices of `matrix`; pass every index
 * for a full scan.
 */
export function exactTopK(matrix: EmbeddingMatrix, query: Float64Array, rows: ArrayLike<number>, k: number): number[] {
  const { data, dim } = matrix;
  const simd = rowsInRange(rows, matrix.rows) ? simdScores(matrix, query, rows) : undefined;
  const bestRows: number[] = [];
  const bestScores: number[] = [];
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    let score = simd ? simd[r]! : innerProduct(data, row * dim, query, dim);
    if (!Number.isFinite(score)) score = -Infinity;
    const size = bestRows.length;
    if (size === k && !ranksBefore(score, row, bestScores[size - 1]!, bestRows[size - 1]!)) continue;
    // Insertion into the sorted list of at most k entries (k is small: tens).
    let at = size === k ? size - 1 : size;
    while (at > 0 && ranksBefore(score, row, bestScores[at - 1]!, bestRows[at - 1]!)) {
      bestScores[at] = bestScores[at - 1]!;
      bestRows[at] = bestRows[at - 1]!;
      at--;
    }
    bestScores[at] = score;
    bestRows[at] = row;
  }
  return bestRows;
}

/** The SIMD kernel reads rows in place: every index must name a row of the store. */
function rowsInRange(rows: ArrayLike<number>, count: number): boolean {
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    if (!(Number.isInteger(row) && row >= 0 && row < count)) return false;
  }
  return true;
}
