/**
 * `npm run bench:models`: the embedded model set on this machine, through the worker-thread ModelHost the
 * studio uses (and in-thread for comparison):
 *   - image embedding throughput from PNG files on disk (decode + preprocess + encoder), demo-private folder;
 *   - text embedding latency (one prompt; and a batch of 64);
 *   - ms per generated image, DDIM 25 steps + CFG, at batch 1 and batch 16, and DPM-Solver++(2M) at the studio's default
 *     steps, 15 and 10;
 *   - one UNet call at the studio's batch shape (in-thread), beside Python onnxruntime running the same file on the
 *     same shapes in the same run (bench/reference_unet.py: the floor for the sampler's loop).
 * Targets (issue 4): ≥ 200 images/s embedding; ≤ 1 s per image at batch 1. Prints figures; asserts nothing.
 * Env: BENCH_THREADS (onnxruntime intra-op threads, default 1), BENCH_IMAGES (default 2000), BENCH_PROVIDER.
 * --json: the figures as one JSON object on stdout (the lines then go to stderr).
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { conditionVector, type ExecutionProviderRequest, ModelHost, ModelRuntime } from '../core/models/index.ts';
import { GENERATION_DEFAULTS } from '../core/contract/contract.ts';
import { emitJson, machineInfo, say } from './report.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SET = join(ROOT, 'native-models', 'looks-v1');
const FOLDER = join(SET, 'demo-private');
const threads = Number(process.env.BENCH_THREADS ?? 1);
const provider = (process.env.BENCH_PROVIDER ?? 'cpu') as ExecutionProviderRequest;
const maxImages = Number(process.env.BENCH_IMAGES ?? 2000);
const CHUNK = 128;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function embedFolder(embed: (paths: string[]) => Promise<{ count: number; failures: unknown[] }>, files: string[]): Promise<number> {
  const t0 = performance.now();
  let done = 0;
  for (let i = 0; i < files.length; i += CHUNK) {
    const r = await embed(files.slice(i, i + CHUNK));
    if (r.failures.length > 0) throw new Error(`${r.failures.length} images failed to decode`);
    done += r.count;
  }
  return done / ((performance.now() - t0) / 1000);
}

async function main(): Promise<void> {
  say(`bench:models — ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), load ${os.loadavg().map((v) => v.toFixed(2)).join(' ')}, onnxruntime intra-op threads ${threads}, provider ${provider}`);
  const files = (await readdir(FOLDER)).filter((f) => f.endsWith('.png')).sort().slice(0, maxImages).map((f) => join(FOLDER, f));

  const host = await ModelHost.start(SET, { provider, intraOpThreads: threads });
  const D = host.info.manifest.embedding.dim;
  say(`model set ${host.info.manifest.name} ${host.info.manifest.version}: D=${D}, image ${host.info.manifest.image.size}px, decoder ${host.info.manifest.decoder.imageSize}px, provider ${host.info.provider}${host.info.notes.length ? ` (${host.info.notes.join('; ')})` : ''}`);

  // warm-up
  await host.embedImageFiles(files.slice(0, 32));
  await host.embedTexts(['a red star']);

  const figures: Record<string, unknown> = { threads, provider: host.info.provider, images: files.length };
  const hostRate = await embedFolder((p) => host.embedImageFiles(p), files);
  figures.imagesPerSecondWorker = hostRate;
  say(`image embedding (worker, PNG decode included, batches of ${CHUNK}): ${hostRate.toFixed(0)} images/s over ${files.length} files   [target ≥ 200]`);

  const prompt = 'a small red star on a striped blue background in the top left';
  const single: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    await host.embedTexts([prompt]);
    single.push(performance.now() - t0);
  }
  const batchTexts = Array.from({ length: 64 }, (_, i) => `an image of a ${['red', 'blue', 'green', 'white'][i % 4]} ${['circle', 'star', 'cross', 'square'][(i >> 2) % 4]}`);
  const batch: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    await host.embedTexts(batchTexts);
    batch.push(performance.now() - t0);
  }
  figures.textMsOnePrompt = median(single);
  figures.textMsBatch64 = median(batch);
  say(`text embedding latency (worker round trip): ${median(single).toFixed(2)} ms median for 1 prompt; ${median(batch).toFixed(1)} ms for a batch of 64`);

  // The condition the studio builds (text slot and retrieval slot where the set has both); the text stands in for
  // the aggregate, which does not change the cost of a step.
  const text = (await host.embedTexts([prompt])).data;
  const cond = conditionVector(host.info.manifest.decoder, text, text, 1);
  const rows = host.info.manifest.decoder.condition.layout === 'text+retrieval' && host.info.manifest.decoder.sampler.retrievalGuidance !== undefined ? 3 : 2;
  await host.generate({ cond, count: 1, seeds: [0], steps: 2 });
  for (const batchSize of [1, 16]) {
    const count = batchSize === 1 ? 4 : 16;
    const t0 = performance.now();
    await host.generate({ cond, count, seeds: Array.from({ length: count }, (_, i) => i), steps: 25, guidance: 3, batchSize });
    const ms = (performance.now() - t0) / count;
    figures[`msPerImageBatch${batchSize}`] = ms;
    say(`DDIM 25 + CFG (${rows * batchSize} UNet rows per step): ${ms.toFixed(0)} ms per image at batch ${batchSize} (${count} images)${batchSize === 1 ? '   [target ≤ 1000]' : ''}`);
  }
  for (const steps of [GENERATION_DEFAULTS.steps, 15, 10]) {
    const t0 = performance.now();
    await host.generate({ cond, count: 16, seeds: Array.from({ length: 16 }, (_, i) => i), steps, guidance: 3, batchSize: 16, sampler: 'dpmpp-2m' });
    const ms = (performance.now() - t0) / 16;
    figures[`msPerImageDpm${steps}Batch16`] = ms;
    say(`DPM-Solver++(2M) ${steps} + CFG: ${ms.toFixed(0)} ms per image at batch 16 (${((100 * ms) / (figures.msPerImageBatch16 as number)).toFixed(0)} % of DDIM 25's)`);
  }
  await host.close();

  // the same image throughput without the worker hop, for comparison
  const rt = await ModelRuntime.load(SET, { provider, intraOpThreads: threads });
  await rt.embedImageFiles(files.slice(0, 32));
  const inThread = await embedFolder((p) => rt.embedImageFiles(p), files);
  say(`image embedding (in-thread, for comparison): ${inThread.toFixed(0)} images/s`);
  figures.imagesPerSecondInThread = inThread;

  // One UNet call at the batch-16 shape, in-thread, beside Python onnxruntime on the same file and shapes.
  const m = rt.manifest.decoder;
  const unetRows = rows * 16;
  const V = 3 * m.imageSize * m.imageSize;
  const eps = rt.epsFunction();
  const x = Float32Array.from({ length: unetRows * V }, (_, i) => Math.sin(i));
  const tIn = new Float32Array(unetRows).fill(500);
  const cIn = Float32Array.from({ length: unetRows * m.condDim }, (_, i) => Math.cos(i));
  await eps(x, tIn, cIn, unetRows);
  const calls: number[] = [];
  for (let i = 0; i < 25; i++) {
    const t0 = performance.now();
    await eps(x, tIn, cIn, unetRows);
    calls.push(performance.now() - t0);
  }
  figures.unetMsPerCall = median(calls);
  const python = spawnSync(process.env.PYTHON ?? 'python3', [fileURLToPath(new URL('reference_unet.py', import.meta.url)), join(SET, rt.manifest.files.decoder.path), String(unetRows), '3', String(m.imageSize), String(m.condDim), '25'], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
  const reference = python.status === 0 ? (JSON.parse(python.stdout) as { msPerCall: number; version: string }) : undefined;
  figures.unetMsPerCallPython = reference?.msPerCall ?? null;
  say(`one UNet call (${unetRows} rows): ${median(calls).toFixed(1)} ms here; Python onnxruntime ${reference ? `${reference.version}: ${reference.msPerCall.toFixed(1)} ms (${(median(calls) / reference.msPerCall).toFixed(2)}×)` : 'not available (python3 with onnxruntime and numpy)'}`);
  await rt.release();
  emitJson({ bench: 'models', machine: machineInfo(), settings: { threads, provider, maxImages, chunk: CHUNK, steps: 25 }, ...figures });
}

await main();
