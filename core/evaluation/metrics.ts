/**
 * Per-image quality measures that are averaged into the evaluation table: prompt–image agreement (cosine of the
 * generated image's embedding and its prompt's text embedding, both unit norm) and, for the demo world, the
 * judge's attribute accuracy (does the judge see the shape, colour, background and texture the prompt asked for).
 */

/** Cosine of row i of `images` and row i of `texts` (row-major [count, dim]), per row. */
export function cosinePerRow(images: ArrayLike<number>, texts: ArrayLike<number>, count: number, dim: number): Float64Array {
  if (images.length < count * dim || texts.length < count * dim) throw new RangeError(`need ${count}×${dim} values in both inputs`);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let j = 0; j < dim; j++) {
      const a = images[i * dim + j]!;
      const b = texts[i * dim + j]!;
      dot += a * b;
      na += a * a;
      nb += b * b;
    }
    out[i] = na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
  }
  return out;
}

export function mean(values: ArrayLike<number>): number {
  if (values.length === 0) return NaN;
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return s / values.length;
}

/** The judge's logits per attribute, its labels per attribute (manifest.judge.attributes), and what a prompt expects. */
export type JudgeLogits = Record<string, Float32Array>;
export type AttributeLabels = Readonly<Record<string, readonly string[]>>;
export type ExpectedAttributes = Partial<Record<string, string>>;

function argmax(values: Float32Array, offset: number, length: number): number {
  let best = 0;
  for (let l = 1; l < length; l++) if (values[offset + l]! > values[offset + best]!) best = l;
  return best;
}

/**
 * Per image and attribute: 1 when the judge's top label equals the expected one, 0 when not, NaN when the prompt
 * did not name that attribute. Returned as [count × A] in the order of `labels`' attributes.
 */
export function judgeHits(logits: JudgeLogits, labels: AttributeLabels, expected: readonly ExpectedAttributes[]): Float64Array {
  const count = expected.length;
  const attributes = Object.keys(labels);
  const hits = new Float64Array(count * attributes.length);
  attributes.forEach((attribute, a) => {
    const names = labels[attribute]!;
    const L = names.length;
    const values = logits[attribute];
    if (!values || values.length < count * L) throw new RangeError(`judge logits for ${attribute}: need ${count}×${L} values`);
    for (let i = 0; i < count; i++) {
      const want = expected[i]![attribute];
      hits[i * attributes.length + a] = want === undefined ? NaN : names[argmax(values, i * L, L)] === want ? 1 : 0;
    }
  });
  return hits;
}

/** Mean accuracy per attribute and over all judged attributes (NaN entries skipped); `attributes` as in judgeHits. */
export function judgeAccuracy(hits: ArrayLike<number>, attributes: readonly string[]): { overall: number; perAttribute: Record<string, number> } {
  const A = attributes.length;
  const sums = new Float64Array(A);
  const counts = new Float64Array(A);
  for (let i = 0; i < hits.length; i++) {
    const v = hits[i]!;
    if (Number.isNaN(v)) continue;
    sums[i % A]! += v;
    counts[i % A]! += 1;
  }
  const perAttribute = Object.fromEntries(attributes.map((name, a) => [name, counts[a]! > 0 ? sums[a]! / counts[a]! : NaN]));
  let total = 0;
  let n = 0;
  for (let a = 0; a < A; a++) {
    total += sums[a]!;
    n += counts[a]!;
  }
  return { overall: n > 0 ? total / n : NaN, perAttribute };
}

/**
 * The share of images whose every attribute in `subset` is right (NaN entries — attributes the prompt did not
 * name — count as right; an image with none of them named is left out). `attributes` as in judgeHits.
 */
export function allRight(hits: ArrayLike<number>, attributes: readonly string[], subset: readonly string[]): number {
  const A = attributes.length;
  const idx = subset.map((name) => attributes.indexOf(name)).filter((i) => i >= 0);
  let right = 0;
  let counted = 0;
  for (let i = 0; i + A <= hits.length; i += A) {
    const named = idx.filter((a) => !Number.isNaN(hits[i + a]!));
    if (named.length === 0) continue;
    counted++;
    if (named.every((a) => hits[i + a] === 1)) right++;
  }
  return counted > 0 ? right / counted : NaN;
}
