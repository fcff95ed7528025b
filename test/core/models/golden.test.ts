// The TypeScript runtime reproduces the Python/onnxruntime reference outputs of the committed model set:
// tokenizer ids, text embedding, preprocessing + image embedding and one UNet call within one forward pass's
// tolerance; every DDIM + CFG step (with the retrieval slot's own guidance where the set has one), started from the
// reference state, within the bound that step's coefficients give; the full 10-step sample within half an 8-bit level (./tolerances.ts says why each bound holds on every CPU).
// Reference numerics (one thread, pinned graph options), small batches: the whole file runs in a few seconds.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRuntime, REFERENCE_NUMERICS, imageToTensor, ddimSample, ddimStep, ddimTimesteps } from '../../../core/models/index.ts';
import { GOLDEN_DIR, MODEL_SET_DIR, goldenF32, goldenI64, goldenIndex, goldenShape, maxAbsDiff } from './golden-fixtures.ts';
import { ONE_PASS, SAMPLE, ddimStepBound } from './tolerances.ts';

let rt: ModelRuntime;

beforeAll(async () => {
  rt = await ModelRuntime.load(MODEL_SET_DIR, { provider: 'cpu', ...REFERENCE_NUMERICS });
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

  it('text embedding within one pass\'s tolerance', async () => {
    const { prompts } = goldenIndex();
    const got = await rt.embedTexts(prompts);
    expect(got.count).toBe(prompts.length);
    expect(maxAbsDiff(got.data, goldenF32('text_embedding.f32'))).toBeLessThanOrEqual(ONE_PASS);
  });

  it('preprocessed PNG tensors and image embedding within one pass\'s tolerance', async () => {
    const { images } = goldenIndex();
    const spec = rt.manifest.image;
    const tensors = await Promise.all(images.map((name) => imageToTensor(join(GOLDEN_DIR, name), spec)));
    const pixels = goldenF32('image_pixels.f32');
    const per = 3 * spec.size * spec.size;
    tensors.forEach((t, i) => expect(maxAbsDiff(t, pixels.subarray(i * per, (i + 1) * per))).toBeLessThanOrEqual(ONE_PASS));
    const got = await rt.embedImages(tensors);
    expect(maxAbsDiff(got.data, goldenF32('image_embedding.f32'))).toBeLessThanOrEqual(ONE_PASS);
    // and from the files straight through the batch API
    const files = await rt.embedImageFiles(images.map((name) => join(GOLDEN_DIR, name)));
    expect(files.failures).toEqual([]);
    expect(maxAbsDiff(files.data, goldenF32('image_embedding.f32'))).toBeLessThanOrEqual(ONE_PASS);
  });

  it('one UNet call within one pass\'s tolerance', async () => {
    const rows = goldenShape('unet_x.f32')[0]!;
    const eps = rt.epsFunction();
    const got = await eps(goldenF32('unet_x.f32'), goldenF32('unet_t.f32'), goldenF32('unet_cond.f32'), rows);
    expect(maxAbsDiff(got, goldenF32('unet_eps.f32'))).toBeLessThanOrEqual(ONE_PASS);
  });

  it('every DDIM + CFG step from the reference state within its bound', async () => {
    const { ddim } = goldenIndex();
    const m = rt.manifest.decoder;
    const ts = ddimTimesteps(ddim.steps, m.schedule.trainSteps);
    expect(ts).toEqual(ddim.timesteps);
    const count = goldenShape('ddim_init_noise.f32')[0]!;
    const V = m.channels * m.imageSize * m.imageSize;
    const trajectory = goldenF32('ddim_trajectory.f32');
    const cond = goldenF32('ddim_cond.f32');
    const eps = rt.epsFunction();
    // [cond ; zeros], or [cond ; text slot only ; zeros] with the retrieval slot's guidance
    const gr = ddim.retrievalGuidance;
    expect(gr).toBe(m.sampler.retrievalGuidance);
    const parts = gr === undefined ? 2 : 3;
    const cIn = new Float32Array(parts * count * m.condDim);
    cIn.set(cond);
    if (gr !== undefined) for (let b = 0; b < count; b++) cIn.set(cond.subarray(b * m.condDim, b * m.condDim + ddim.textValues!), (count + b) * m.condDim);
    for (let i = 0; i < ts.length; i++) {
      const start = i === 0 ? goldenF32('ddim_init_noise.f32') : trajectory.subarray((i - 1) * count * V, i * count * V);
      const aT = m.schedule.alphasCumprod[ts[i]!]!;
      const aPrev = i + 1 < ts.length ? m.schedule.alphasCumprod[ts[i + 1]!]! : 1;
      const xIn = new Float32Array(parts * count * V);
      for (let p = 0; p < parts; p++) xIn.set(start, p * count * V);
      const e = await eps(xIn, new Float32Array(parts * count).fill(ts[i]!), cIn, parts * count);
      const x = Float64Array.from(start);
      ddimStep(x, e, { alphaT: aT, alphaPrev: aPrev, guidance: ddim.guidance, guided: true, count, imageValues: V, ...(m.sampler.clipX0 ? { clipX0: m.outputRange } : {}), ...(gr !== undefined ? { retrievalGuidance: gr } : {}) });
      const expected = trajectory.subarray(i * count * V, (i + 1) * count * V);
      expect(maxAbsDiff(x, expected), `step ${i + 1} (t = ${ts[i]})`).toBeLessThanOrEqual(ddimStepBound(aT, aPrev, ddim.guidance, gr));
    }
  });

  it('a full 10-step DDIM + CFG sample within half an 8-bit level, through both sampling entry points', async () => {
    const { ddim } = goldenIndex();
    const m = rt.manifest.decoder;
    const count = goldenShape('ddim_init_noise.f32')[0]!;
    const V = m.channels * m.imageSize * m.imageSize;
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
      ...(ddim.retrievalGuidance !== undefined ? { retrievalGuidance: { scale: ddim.retrievalGuidance, textValues: ddim.textValues! } } : {}),
      onProgress: (p) => previews.push(p.step),
    });
    expect(previews).toEqual(ddim.timesteps.map((_, i) => i + 1));
    expect(maxAbsDiff(got, goldenF32('ddim_sample.f32'))).toBeLessThanOrEqual(SAMPLE);
    // the same through the runtime's batched generate()
    const gen = await rt.generate({
      cond: goldenF32('ddim_cond.f32'),
      initialNoise: goldenF32('ddim_init_noise.f32'),
      steps: ddim.steps,
      guidance: ddim.guidance,
      batchSize: 1,
    });
    expect(maxAbsDiff(gen.images, goldenF32('ddim_sample.f32'))).toBeLessThanOrEqual(SAMPLE);
  });
});
