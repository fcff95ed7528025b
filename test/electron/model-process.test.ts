// The model host in a utility process, as the desktop app runs it: the real ModelHost and model worker on either
// side of a real process boundary, with only Electron's `utilityProcess` API stood in (./fake-utility-process.ts).
// The same numbers as the worker thread, progress and previews, cancellation, errors, and a clean close.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelAbortError, ModelHost } from '../../core/models/index.ts';
import { utilityProcessSpawn } from '../../electron/model-process.ts';
import { goldenF32, goldenIndex, maxAbsDiff, MODEL_SET_DIR } from '../core/models/golden-fixtures.ts';
import { ONE_PASS, SAMPLE } from '../core/models/tolerances.ts';
import { fakeUtilityProcess } from './fake-utility-process.ts';

const utility = fakeUtilityProcess();
let host: ModelHost;

beforeAll(async () => {
  host = await ModelHost.start(MODEL_SET_DIR, { provider: 'cpu', intraOpThreads: 1 }, utilityProcessSpawn(utility));
}, 60_000);
afterAll(async () => {
  await host?.close();
});

describe('ModelHost in a utility process', () => {
  it('forks the model worker as a named service and sends its init first', () => {
    expect(utility.forks).toHaveLength(1);
    expect(utility.forks[0]!.serviceName).toBe('DP-RDM Studio models');
    expect(utility.forks[0]!.modulePath).toMatch(/model-worker\.(ts|mjs)$/);
    expect(utility.forks[0]!.first).toMatchObject({ type: 'init', init: { dir: MODEL_SET_DIR } });
  });

  it('answers like the worker thread: text embeddings and the golden DDIM sample, with progress and previews', async () => {
    const { prompts, ddim } = goldenIndex();
    expect(maxAbsDiff((await host.embedTexts(prompts)).data, goldenF32('text_embedding.f32'))).toBeLessThanOrEqual(ONE_PASS);
    const steps: number[] = [];
    let previews = 0;
    const out = await host.generate(
      { cond: goldenF32('ddim_cond.f32'), initialNoise: goldenF32('ddim_init_noise.f32'), steps: ddim.steps, guidance: ddim.guidance, previewEvery: 5 },
      { onProgress: (p) => (steps.push(p.step), p.preview && previews++) },
    );
    expect(steps).toEqual(Array.from({ length: ddim.steps }, (_, i) => i + 1));
    expect(previews).toBe(2);
    expect(maxAbsDiff(out.images, goldenF32('ddim_sample.f32'))).toBeLessThanOrEqual(SAMPLE);
  });

  it('cancels mid-sampling across the process boundary and stays usable', async () => {
    const controller = new AbortController();
    const run = host.generate({ cond: goldenF32('ddim_cond.f32').slice(0, host.info.manifest.decoder.condDim), count: 1, seeds: [1], steps: 50 }, { signal: controller.signal, onProgress: (p) => p.step === 3 && controller.abort() });
    await expect(run).rejects.toBeInstanceOf(ModelAbortError);
    expect((await host.embedTexts(['a red star'])).count).toBe(1);
  });
});
