/**
 * How familiar a folder's images are to the model set: for the curator's eyes only (the Datasets screen), never
 * exported, logged or released — it is a function of the private images, like the folder's own file list. The
 * median, over up to SAMPLE evenly spaced indexed images, of the cosine to the nearest image of the model set's
 * public retrieval set. Folders of the kind the encoder was trained on sit near 1 (looks-v1's demo folder: 0.995);
 * images it never saw fall well below (noise and photographs under looks-v1: 0.78), and their look cannot come
 * through in what the studio generates.
 */
export interface FamiliarityReference {
  /** The model set's public retrieval embeddings, row-major [count, dim], unit norm. */
  readonly data: Float32Array;
  readonly count: number;
  readonly dim: number;
  /** The manifest's threshold: a median below it warns the curator. */
  readonly warnBelow: number;
}

export interface FolderFamiliarity {
  readonly median: number;
  readonly warnBelow: number;
  readonly unfamiliar: boolean;
}

const SAMPLE = 256;

export function folderFamiliarity(rows: Float32Array, count: number, dim: number, reference: FamiliarityReference): FolderFamiliarity | undefined {
  if (count === 0 || reference.count === 0 || dim !== reference.dim) return undefined;
  const n = Math.min(SAMPLE, count);
  const nearest: number[] = [];
  for (let s = 0; s < n; s++) {
    const row = Math.floor((s * count) / n) * dim;
    let best = -Infinity;
    for (let j = 0; j < reference.count; j++) {
      const o = j * dim;
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += rows[row + d]! * reference.data[o + d]!;
      if (dot > best) best = dot;
    }
    nearest.push(best);
  }
  nearest.sort((a, b) => a - b);
  const median = n % 2 ? nearest[(n - 1) / 2]! : (nearest[n / 2 - 1]! + nearest[n / 2]!) / 2;
  if (!Number.isFinite(median)) return undefined;
  return { median, warnBelow: reference.warnBelow, unfamiliar: median < reference.warnBelow };
}
