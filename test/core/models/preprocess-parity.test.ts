// Preprocessing parity on real files: the demo-private PNGs (64×64, rendered by the trainer) go through
// imageToTensor (sharp, lanczos3 to 32×32) and the independent judge must still read their attributes, which
// it does on Python-side renders (box-downsampled). A mismatch in channel order, layout, range or resize
// would collapse this accuracy.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRuntime, imageToTensor, packTensors } from '../../../core/models/index.ts';
import { MODEL_SET_DIR } from './golden-fixtures.ts';

let rt: ModelRuntime;

beforeAll(async () => {
  rt = await ModelRuntime.load(MODEL_SET_DIR, { provider: 'cpu', intraOpThreads: 1, judge: true });
});
afterAll(async () => {
  await rt?.release();
});

function argmax(v: Float32Array, offset: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (v[offset + i]! > v[offset + best]!) best = i;
  return best;
}

describe('preprocessing parity with training', () => {
  it('the judge reads demo-private PNGs preprocessed by sharp (≥ 90% per attribute on 96 files)', async () => {
    const captions = JSON.parse(readFileSync(join(MODEL_SET_DIR, 'eval', 'demo-private-captions.json'), 'utf8')) as Record<
      string,
      { attributes: Record<string, string> }
    >;
    const names = Object.keys(captions).sort().slice(0, 96);
    const tensors = await Promise.all(names.map((n) => imageToTensor(join(MODEL_SET_DIR, 'demo-private', n), rt.manifest.image)));
    const logits = await rt.judge(packTensors(tensors, tensors[0]!.length), names.length);
    // every attribute the judge reads, content and look alike
    for (const [attribute, labels] of Object.entries(rt.manifest.judge.attributes)) {
      const correct = names.filter((n, i) => labels[argmax(logits[attribute]!, i * labels.length, labels.length)] === captions[n]!.attributes[attribute]).length;
      expect(correct / names.length, attribute).toBeGreaterThanOrEqual(0.9);
    }
  });
});
