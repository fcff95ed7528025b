// The TypeScript runtime reproduces the Python/onnxruntime reference outputs of the committed model set
// within 1e-4 (max abs): tokenizer ids, text embedding, preprocessing + image embedding, one UNet call and a
// full 10-step DDIM + CFG sample. One thread, small batches: the whole file runs in a few seconds.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRuntime, imageToTensor, ddimSample, ddimTimesteps } from '../../../core/models/index.ts';
import { GOLDEN_DIR, MODEL_SET_DIR, goldenF32, goldenI64, goldenIndex, goldenShape, maxAbsDiff } from './golden-fixtures.ts';

const TOL = 1e-4;
let rt: ModelRuntime;

beforeAll(async () => {
  rt = await ModelRuntime.load(MODEL_SET_DIR, { provider: 'cpu', intraOpThreads: 1 });
});
afterAll(async () => {
  await rt?.release();
});

describe('golden: Python onnxruntime references', () => {
  it('tokenizes the prompts to the reference ids', () => {
    const { prompts } = goldenIndex();
    const ids = goldenI64('text_input_ids.i64');
    const L = rt.tokenizer.maxLength;
    prompts.forEach((p, b) => {
      const t = rt.tokenizer.tokenize(p);
      expect(Array.from(t.ids)).toEqual(ids.slice(b * L, (b + 1) * L));
      // every unknown word is reported, and only those
      const unk = t.words.slice(0, L).filter((_, j) => t.ids[j] === rt.tokenizer.unkId);
      expect(t.unknownWords.filter((w) => t.words.slice(0, L).includes(w))).toEqual([...new Set(unk)]);
    });
  });

  it('text embedding within 1e-4', async () => {
    const { prompts } = goldenIndex();
    const got = await rt.embedTexts(prompts);
    expect(got.count).toBe(prompts.length);
    expect(maxAbsDiff(got.data, goldenF32('text_embedding.f32'))).toBeLessThanOrEqual(TOL);
  });

  it('preprocessed PNG tensors and image embedding within 1e-4', async () => {
    const { images } = goldenIndex();
    const spec = rt.manifest.image;
    const tensors = await Promise.all(images.map((name) => imageToTensor(join(GOLDEN_DIR, name), spec)));
    const pixels = goldenF32('image_pixels.f32');
    const per = 3 * spec.size * spec.size;
    tensors.forEach((t, i) => expect(maxAbsDiff(t, pixels.subarray(i * per, (i + 1) * per))).toBeLessThanOrEqual(TOL));
    const got = await rt.embedImages(tensors);
    expect(maxAbsDiff(got.data, goldenF32('image_embedding.f32'))).toBeLessThanOrEqual(TOL);
    // and from the files straight through the batch API
    const files = await rt.embedImageFiles(images.map((name) => join(GOLDEN_DIR, name)));
    expect(files.failures).toEqual([]);
    expect(maxAbsDiff(files.data, goldenF32('image_embedding.f32'))).toBeLessThanOrEqual(TOL);
  });

  it('one UNet call within 1e-4', async () => {
    const rows = goldenShape('unet_x.f32')[0]!;
    const eps = rt.epsFunction();
    const got = await eps(goldenF32('unet_x.f32'), goldenF32('unet_t.f32'), goldenF32('unet_cond.f32'), rows);
    expect(maxAbsDiff(got, goldenF32('unet_eps.f32'))).toBeLessThanOrEqual(TOL);
  });

  it('a full 10-step DDIM + CFG sample within 1e-4, trajectory included', async () => {
    const { ddim } = goldenIndex();
    const m = rt.manifest.decoder;
    expect(ddimTimesteps(ddim.steps, m.schedule.trainSteps)).toEqual(ddim.timesteps);
    const count = goldenShape('ddim_init_noise.f32')[0]!;
    const V = m.channels * m.imageSize * m.imageSize;
    const trajectory = goldenF32('ddim_trajectory.f32');
    const previews: number[] = [];
    const got = await ddimSample(rt.epsFunction(), {
      cond: goldenF32('ddim_cond.f32'),
      condDim: m.condDim,
      count,
      imageValues: V,
      steps: ddim.steps,
      guidance: ddim.guidance,
      alphasCumprod: m.schedule.alphasCumprod,
      initialNoise: goldenF32('ddim_init_noise.f32'),
      ...(m.sampler.clipX0 ? { clipX0: m.outputRange } : {}),
      onProgress: (p) => previews.push(p.step),
    });
    expect(previews).toEqual(ddim.timesteps.map((_, i) => i + 1));
    expect(maxAbsDiff(got, goldenF32('ddim_sample.f32'))).toBeLessThanOrEqual(TOL);
    expect(maxAbsDiff(got, trajectory.subarray((ddim.steps - 1) * count * V))).toBeLessThanOrEqual(TOL);
    // the same through the runtime's batched generate()
    const gen = await rt.generate({
      cond: goldenF32('ddim_cond.f32'),
      initialNoise: goldenF32('ddim_init_noise.f32'),
      steps: ddim.steps,
      guidance: ddim.guidance,
      batchSize: 1,
    });
    expect(maxAbsDiff(gen.images, goldenF32('ddim_sample.f32'))).toBeLessThanOrEqual(TOL);
  });
});
