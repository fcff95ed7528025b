// ModelHost runs the model set in a worker thread (TypeScript loaded through tsx inside the worker) and
// returns the same numbers as the in-thread runtime; progress, previews, cancellation and errors cross over.
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelAbortError, ModelHost, ModelSetError, REFERENCE_NUMERICS } from '../../../core/models/index.ts';
import { GOLDEN_DIR, MODEL_SET_DIR, REPO_ROOT, goldenF32, goldenIndex, maxAbsDiff } from './golden-fixtures.ts';
import { ONE_PASS, SAMPLE } from './tolerances.ts';

let host: ModelHost;

beforeAll(async () => {
  host = await ModelHost.start(MODEL_SET_DIR, { provider: 'cpu', ...REFERENCE_NUMERICS });
});
afterAll(async () => {
  await host?.close();
});

describe('ModelHost (worker thread)', () => {
  it('loads the set in the worker and embeds texts and image files like the Python reference', async () => {
    expect(host.info.provider).toBe('cpu');
    expect(host.info.dir).toBe(MODEL_SET_DIR);
    const { prompts, images } = goldenIndex();
    const text = await host.embedTexts(prompts);
    expect(text.data).toBeInstanceOf(Float32Array);
    expect(maxAbsDiff(text.data, goldenF32('text_embedding.f32'))).toBeLessThanOrEqual(ONE_PASS);
    expect(text.tokens[0]!.unknownWords).toEqual([]);
    const files = await host.embedImageFiles([...images.map((n) => join(GOLDEN_DIR, n)), join(GOLDEN_DIR, 'missing.png')]);
    expect(files.ok).toEqual([0, 1]);
    expect(files.failures.map((f) => f.index)).toEqual([2]);
    expect(maxAbsDiff(files.data, goldenF32('image_embedding.f32'))).toBeLessThanOrEqual(ONE_PASS);
    // Buffers cross the thread boundary too (they arrive as Uint8Array, which sharp reads the same way)
    const fromBuffers = await host.embedImageFiles(await Promise.all(images.map((n) => readFile(join(GOLDEN_DIR, n)))));
    expect(maxAbsDiff(fromBuffers.data, goldenF32('image_embedding.f32'))).toBeLessThanOrEqual(ONE_PASS);
  });

  it('generates the golden DDIM sample, with per-step progress and previews', async () => {
    const { ddim } = goldenIndex();
    const progress: number[] = [];
    let previews = 0;
    const out = await host.generate(
      { cond: goldenF32('ddim_cond.f32'), initialNoise: goldenF32('ddim_init_noise.f32'), steps: ddim.steps, guidance: ddim.guidance, previewEvery: 5 },
      {
        onProgress: (p) => {
          progress.push(p.step);
          if (p.preview) previews++;
          expect(p.images).toBe(2);
        },
      },
    );
    expect(progress).toEqual(Array.from({ length: ddim.steps }, (_, i) => i + 1));
    expect(previews).toBe(2);
    expect(maxAbsDiff(out.images, goldenF32('ddim_sample.f32'))).toBeLessThanOrEqual(SAMPLE);
  });

  it('cancels a generation mid-sampling and stays usable', async () => {
    const controller = new AbortController();
    let last = 0;
    const run = host.generate(
      { cond: goldenF32('ddim_cond.f32').slice(0, host.info.manifest.decoder.condDim), count: 4, seeds: [1, 2, 3, 4], steps: 50, batchSize: 1 },
      {
        signal: controller.signal,
        onProgress: (p) => {
          last = p.imagesDone * 50 + p.step;
          if (p.step === 2) controller.abort();
        },
      },
    );
    await expect(run).rejects.toBeInstanceOf(ModelAbortError);
    expect(last).toBeGreaterThanOrEqual(2);
    expect(last).toBeLessThan(10); // stopped within a step or two, not after 200
    await expect(host.generate({ cond: new Float32Array(host.info.manifest.decoder.condDim), steps: 1, seeds: [1] }, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(ModelAbortError);
    const after = await host.embedTexts(['a red star']);
    expect(after.count).toBe(1);
  });

  it('passes errors back with their type', async () => {
    await expect(host.generate({ cond: new Float32Array(3) })).rejects.toThrow(RangeError);
    const error = await ModelHost.start(join(MODEL_SET_DIR, 'no-such-set')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelSetError);
    expect((error as ModelSetError).code).toBe('MANIFEST_MISSING');
  });

  it('works from plain node with tsx registered the way bin/dprdm.js does it', () => {
    const script = [
      "import { register } from 'tsx/esm/api';",
      'register();',
      "const { ModelHost } = await import('./core/models/index.ts');",
      `const host = await ModelHost.start(${JSON.stringify(MODEL_SET_DIR)});`,
      "const r = await host.embedTexts(['a small red star']);",
      'console.log(JSON.stringify({ count: r.count, dim: r.dim }));',
      'await host.close();',
    ].join('\n');
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 });
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout.trim())).toEqual({ count: 1, dim: host.info.manifest.embedding.dim });
    expect(child.status).toBe(0);
  });
});
