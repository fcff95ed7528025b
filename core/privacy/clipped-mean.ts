/**
 * The aggregate of docs/design.md §3 step 4: each neighbour clipped to norm ≤ 1, summed, and divided by k — always k,
 * also when fewer than k rows were sampled (zero-padding). Adding or removing one row therefore moves the
 * result by at most 2/k in L2 norm. A row with non-finite values contributes zero instead of raising an error,
 * because an error that depends on private rows would itself leak.
 */
import type { EmbeddingMatrix, EmbeddingRows } from './embedding-matrix.ts';
import { rowsOf } from './resident-store.ts';

export function clippedMean(input: EmbeddingMatrix | EmbeddingRows, neighbours: readonly number[], k: number): Float64Array {
  const store = rowsOf(input);
  const { dim } = store;
  const sum = new Float64Array(dim);
  const row = new Float64Array(dim);
  for (const index of neighbours) {
    store.readRow(index, row);
    let squared = 0;
    for (let j = 0; j < dim; j++) squared += row[j]! * row[j]!;
    const norm = Math.sqrt(squared);
    if (!Number.isFinite(norm)) continue;
    const scale = norm > 1 ? 1 / norm : 1;
    for (let j = 0; j < dim; j++) sum[j]! += row[j]! * scale;
  }
  for (let j = 0; j < dim; j++) sum[j]! /= k;
  return sum;
}
