/**
 * The decoder's condition, built in one place for every caller (generation, evaluation, benches) from the manifest's
 * `decoder.condition.layout`:
 *   'mixed'           c = λ·r̃ + (1−λ)·t                 (DP-RDM's single CLIP-space vector; condDim = d)
 *   'text+retrieval'  c = [t ; λ·r̃ + (1−λ)·t]           (the prompt in a slot of its own, so the collection's look
 *                                                        need not compete with the prompt's content; condDim = 2d)
 * r̃ is the (noisy) aggregate, t the unit text embedding; everything here is post-processing of r̃.
 */
import { ModelSetError } from './errors.ts';

export type ConditionLayout = 'mixed' | 'text+retrieval';

export interface ConditionSpec {
  readonly condDim: number;
  readonly condition: { readonly layout: ConditionLayout };
}

/** How many values the condition has for a layout and embedding dimension. */
export function conditionDim(layout: ConditionLayout, dim: number): number {
  return layout === 'mixed' ? dim : 2 * dim;
}

export function conditionVector(spec: ConditionSpec, aggregate: ArrayLike<number>, text: ArrayLike<number>, lambda: number): Float32Array {
  const d = text.length;
  if (aggregate.length !== d) throw new RangeError(`the aggregate has ${aggregate.length} values, the text embedding ${d}`);
  if (conditionDim(spec.condition.layout, d) !== spec.condDim) throw new ModelSetError('MANIFEST_INVALID', `decoder.condDim ${spec.condDim} does not fit layout ${spec.condition.layout} at d = ${d}`);
  const c = new Float32Array(spec.condDim);
  const offset = spec.condition.layout === 'mixed' ? 0 : d;
  if (offset > 0) for (let i = 0; i < d; i++) c[i] = text[i]!;
  for (let i = 0; i < d; i++) c[offset + i] = lambda * aggregate[i]! + (1 - lambda) * text[i]!;
  for (const v of c) if (!Number.isFinite(v)) throw new RangeError('the condition is not finite; nothing was generated');
  return c;
}
