/**
 * Exact top-k by inner product over a given set of rows (the Poisson subsample). Exact, never approximate:
 * an HNSW/IVF answer depends on rows that were not sampled and would break the sensitivity argument
 * (docs/design.md §3 step 3). Ties are broken by the lower row index; a non-finite score ranks below every finite one.
 * The scores come from the store (the SIMD kernel, the scalar loop, or rows read by range); the selection is this one.
 */
import type { EmbeddingMatrix, EmbeddingRows } from './embedding-matrix.ts';
import { rowsOf } from './resident-store.ts';

/** True when (scoreA, rowA) ranks strictly before (scoreB, rowB). */
function ranksBefore(scoreA: number, rowA: number, scoreB: number, rowB: number): boolean {
  return scoreA > scoreB || (scoreA === scoreB && rowA < rowB);
}

/** The (at most k) best rows among `rows`, best first. `rows` lists row indices of `store`; pass every index for a full scan. */
export function exactTopK(store: EmbeddingMatrix | EmbeddingRows, query: Float64Array, rows: ArrayLike<number>, k: number): number[] {
  const scores = rowsOf(store).scores(query, rows);
  const bestRows: number[] = [];
  const bestScores: number[] = [];
  // the k-th best score once k are held: a score strictly below it cannot enter (false for NaN, which goes on)
  let floor = -Infinity;
  for (let r = 0; r < rows.length; r++) {
    let score = scores[r]!;
    if (score < floor) continue;
    const row = rows[r]!;
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
    if (bestRows.length === k) floor = bestScores[k - 1]!;
  }
  return bestRows;
}
