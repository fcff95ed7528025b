/**
 * The judge over generated PNGs: preprocessing from the model set's manifest, one batched judge call, and per image
 * and attribute whether the judge's label is the expected one (judgeHits). The evaluation and eval:miniature share it.
 */
import type { Manifest, ModelService } from '../models/index.ts';
import { imageToTensor } from '../models/index.ts';
import { judgeHits, type ExpectedAttributes } from './metrics.ts';

export async function judgePngs(judge: ModelService, manifest: Manifest, pngs: readonly Buffer[], expected: readonly ExpectedAttributes[], signal?: AbortSignal): Promise<Float64Array> {
  if (!judge.judge || !manifest.judge) throw new Error('this model service has no judge loaded');
  const size = manifest.image.size;
  const V = 3 * size * size;
  const batch = new Float32Array(pngs.length * V);
  for (const [i, png] of pngs.entries()) batch.set(await imageToTensor(png, manifest.image), i * V);
  const logits = await judge.judge(batch, pngs.length, signal ? { signal } : {});
  return judgeHits(logits, manifest.judge.attributes, expected);
}
