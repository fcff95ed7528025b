/**
 * `npm run bench:generate`: end-to-end latency of one private generation (prompt → first image, → 16 images)
 * through the real studio service (`generate.run`, 'image' events for time to first image), and its split into
 * σ calibration, text encode, ledger charge, private aggregate, sampling (DDIM + CFG, with the 5-step previews
 * the service makes) and PNG write (encode + provenance chunks + file + history row), for
 *   (a) the demo dataset (native-models/looks-v1/demo-private, 2,000 images, indexed through `datasets.add`) and
 *   (b) a synthetic store of 100,000 seeded random unit vectors of the model's dimension (`importEmbeddings`).
 *
 * The service reports no timings of private steps (privacy rule: contract.ts), so the split runs the studio's own
 * Generator (core/generation/generator.ts) with its bench-only probe, on the same studio home, ledger, history and
 * private store, after the service is closed. Everything runs in a temporary
 * DPRDM home that is removed at the end. Prints figures; asserts nothing.
 *
 * Usage: tsx bench/generate.bench.ts [--quick] [--json] [--reps N] [--rows N] [--sampler ddim|dpmpp-2m] [--steps N]
 *   --quick: 3 repetitions and 20 private-step repetitions (default 7 and 100); --rows: synthetic store size.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importEmbeddings, loadPrivateStore, toNpy, type PrivateStore } from '../core/datasets/index.ts';
import { openLedger, type Ledger } from '../core/ledger/index.ts';
import { homeLayout } from '../core/paths.ts';
import { ModelHost, retrievalRange, type ModelService } from '../core/models/index.ts';
import { privateAggregate } from '../core/privacy/index.ts';
import { GENERATION_DEFAULTS, parseRequest, type StudioEvent } from '../core/contract/contract.ts';
import { Generator, samplingBatches, type ModelSetIdentity } from '../core/generation/generator.ts';
import { HistoryStore } from '../core/generation/history.ts';
import { resolveQuery } from '../core/generation/parameters.ts';
import { createStudioService } from '../core/studio/service.ts';
import { emitJson, jsonMode, machineInfo, ms, say, spread, type Spread } from './report.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SET = join(ROOT, 'native-models', 'looks-v1');
const DEMO_FOLDER = join(SET, 'demo-private');

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const quick = process.argv.includes('--quick');
const REPS = Number(flag('--reps') ?? (quick ? 3 : 7));
const PRIVATE_REPS = quick ? 20 : 100;
const SYNTHETIC_ROWS = Number(flag('--rows') ?? 100_000);
/** Images per generation (the generator samples the first alone, then batches of 4, with its previews). */
const IMAGES = 16;
const SAMPLER = (flag('--sampler') ?? GENERATION_DEFAULTS.sampler) as 'ddim' | 'dpmpp-2m';
if (SAMPLER !== 'ddim' && SAMPLER !== 'dpmpp-2m') throw new Error(`--sampler must be ddim or dpmpp-2m, got ${String(SAMPLER)}`);
const STEPS = Number(flag('--steps') ?? (SAMPLER === GENERATION_DEFAULTS.sampler ? GENERATION_DEFAULTS.steps : 25));
const GUIDANCE = 3;
const EPSILON = 2;
const LAMBDA = 1;
/** The ledger's largest cap: room for every benchmark charge (about 120 queries of ε 2 compose to well under 100). */
const EPSILON_CAP = 100;
const PROMPTS = ['a red star', 'an orange cross', 'a purple circle', 'a yellow triangle'];
const SEEDS = Array.from({ length: IMAGES }, (_, i) => 1000 + i);
const STUDIO_VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** Seeded standard normals (xorshift32 + Box–Muller), rows normalised: synthetic data, not privacy code. */
function seededUnitRows(rows: number, dim: number, seed: number): Float32Array {
  const data = new Float32Array(rows * dim);
  let s = seed >>> 0 || 1;
  const uniform = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) + 0.5) / 4294967296;
  };
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    let norm = 0;
    for (let j = 0; j < dim; j += 2) {
      const radius = Math.sqrt(-2 * Math.log(uniform()));
      const angle = 2 * Math.PI * uniform();
      data[o + j] = radius * Math.cos(angle);
      if (j + 1 < dim) data[o + j + 1] = radius * Math.sin(angle);
    }
    for (let j = 0; j < dim; j++) norm += data[o + j]! ** 2;
    const inv = 1 / Math.sqrt(norm);
    for (let j = 0; j < dim; j++) data[o + j]! *= inv;
  }
  return data;
}

function unitVector(data: Float32Array): Float64Array {
  const t = Float64Array.from(data);
  const norm = Math.sqrt(t.reduce((a, v) => a + v * v, 0));
  for (let i = 0; i < t.length; i++) t[i]! /= norm;
  return t;
}

interface BenchDataset {
  readonly label: string;
  readonly datasetId: string;
  readonly rows: number;
  /** Seconds to index (demo) or import (synthetic) it. */
  readonly setupS: number;
  readonly setup: string;
}

interface EndToEnd {
  readonly coldFirstImageMs: number;
  readonly coldTotalMs: number;
  readonly firstImageMs: Spread;
  readonly totalMs: Spread;
}

const STEP_NAMES = ['calibrate', 'textEncode', 'charge', 'aggregate', 'sampling', 'pngWrite'] as const;
type StepName = (typeof STEP_NAMES)[number];
type StepTimes = Record<StepName, number>;

interface Split {
  readonly steps: Record<StepName, Spread>;
  readonly totalMs: Spread;
  readonly firstImageMs: Spread;
  /** (charge + aggregate) / total, per repetition. */
  readonly privateShare: Spread;
  /** The first private query after a start also loads the store (cached afterwards, as in the service). */
  readonly storeLoadMs: number;
  readonly privateAlone: { readonly chargeMs: Spread; readonly aggregateMs: Spread };
  /** The first private query after a start (the warm-up run): its aggregate step includes loading the store. */
  readonly cold: {
    readonly totalMs: number;
    readonly firstImageMs: number;
    readonly chargeMs: number;
    readonly aggregateMs: number;
    /** (charge + aggregate) / that generation's 16 images, and / its prompt → first image. */
    readonly privateShare: number;
    readonly firstImageShare: number;
  };
}

interface Query {
  readonly k: number;
  readonly q: number;
  readonly sigma: number;
}

// ── end to end: through the studio service ───────────────────────────────────────────────────────────────

async function endToEnd(service: Awaited<ReturnType<typeof createStudioService>>, datasetId: string): Promise<EndToEnd> {
  let firstAt: number | undefined;
  let watching: string | undefined;
  const unsubscribe = service.subscribe((event: StudioEvent) => {
    if (event.type === 'image' && event.jobId === watching && firstAt === undefined) firstAt = performance.now();
  });
  const once = async (prompt: string) => {
    watching = `bench-${randomUUID()}`;
    firstAt = undefined;
    const request = parseRequest('generate.run', { datasetId, prompt, epsilon: EPSILON, lambda: LAMBDA, images: IMAGES, guidance: GUIDANCE, steps: STEPS, sampler: SAMPLER, seeds: SEEDS, jobId: watching });
    const t0 = performance.now();
    const result = await service.handlers['generate.run'](request, {});
    const total = performance.now() - t0;
    if (result.images.length !== IMAGES || firstAt === undefined) throw new Error(`generation returned ${result.images.length} images`);
    return { first: firstAt - t0, total };
  };
  try {
    const cold = await once(PROMPTS[0]!);
    const first: number[] = [];
    const total: number[] = [];
    for (let r = 0; r < REPS; r++) {
      const o = await once(PROMPTS[r % PROMPTS.length]!);
      first.push(o.first);
      total.push(o.total);
    }
    return { coldFirstImageMs: cold.first, coldTotalMs: cold.total, firstImageMs: spread(first), totalMs: spread(total) };
  } finally {
    unsubscribe();
  }
}

// ── the split: the studio's own Generator, timed stage by stage through its probe ───────────────────────────

interface SplitContext {
  readonly home: string;
  readonly ledger: Ledger;
  readonly history: HistoryStore;
  readonly models: ModelService;
  readonly modelSet: ModelSetIdentity;
}

async function split(ctx: SplitContext, dataset: BenchDataset): Promise<Split> {
  const { ledger, history, models } = ctx;
  const manifest = models.info.manifest;

  // As the service: the store is loaded after the first charge and kept while its fingerprint is unchanged.
  let cached: PrivateStore | undefined;
  let storeLoadMs = Number.NaN;
  const privateStore = (): PrivateStore => {
    const fingerprint = ledger.getDataset(dataset.datasetId).fingerprint;
    if (cached && cached.fingerprint === fingerprint) return cached;
    const t = performance.now();
    cached = loadPrivateStore(dataset.datasetId, { home: ctx.home, accountedFingerprint: fingerprint });
    storeLoadMs = performance.now() - t;
    return cached;
  };
  let steps: StepTimes = { calibrate: 0, textEncode: 0, charge: 0, aggregate: 0, sampling: 0, pngWrite: 0 };
  let firstImageAt = Number.NaN;
  const generator = new Generator({
    home: ctx.home,
    ledger,
    history,
    models: async () => models,
    publicSet: async () => Promise.reject(new Error('the bench measures private generations only')),
    modelSet: ctx.modelSet,
    studioVersion: STUDIO_VERSION,
    emit: (event) => {
      if (event.type === 'image' && Number.isNaN(firstImageAt)) firstImageAt = performance.now();
    },
    privateStore,
    probe: (stage, elapsed) => (steps[stage] += elapsed),
  });

  const once = async (prompt: string): Promise<{ steps: StepTimes; total: number; first: number }> => {
    steps = { calibrate: 0, textEncode: 0, charge: 0, aggregate: 0, sampling: 0, pngWrite: 0 };
    firstImageAt = Number.NaN;
    const t0 = performance.now();
    // What the service does before the generator: the planner's (k, q, σ) for this ε.
    const query: Query = resolveQuery({ epsilon: EPSILON }, ledger.getDataset(dataset.datasetId), retrievalRange(manifest));
    steps.calibrate = performance.now() - t0;
    const out = await generator.generate(
      { prompt, lambda: LAMBDA, source: { kind: 'private', datasetId: dataset.datasetId, k: query.k, q: query.q, sigma: query.sigma }, render: { images: IMAGES, guidance: GUIDANCE, steps: STEPS, sampler: SAMPLER, seeds: SEEDS } },
      `bench-${randomUUID()}`,
      new AbortController().signal,
    );
    if (out.images.length !== IMAGES) throw new Error(`generation returned ${out.images.length} images`);
    return { steps: { ...steps }, total: performance.now() - t0, first: firstImageAt - t0 };
  };

  const cold = await once(PROMPTS[0]!); // warm-up; also loads the store (storeLoadMs)
  const runs: { steps: StepTimes; total: number; first: number }[] = [];
  for (let r = 0; r < REPS; r++) runs.push(await once(PROMPTS[r % PROMPTS.length]!));

  // The two private steps alone, many times, for a p95.
  const info = ledger.getDataset(dataset.datasetId);
  const query = resolveQuery({ epsilon: EPSILON }, info, retrievalRange(manifest));
  const probe = await models.embedTexts([PROMPTS[1]!]);
  const unit = unitVector(probe.data.subarray(0, probe.dim));
  const chargeMs: number[] = [];
  const aggregateMs: number[] = [];
  for (let i = 0; i < PRIVATE_REPS; i++) {
    let t = performance.now();
    try {
      ledger.charge(dataset.datasetId, { q: query.q, sigma: query.sigma, k: query.k, lambda: LAMBDA, purpose: 'bench:generate private steps', kind: 'release' });
    } catch (error) {
      if ((error as { code?: string }).code === 'BUDGET_EXCEEDED' && i >= 10) break; // the cap (at most ε 100) is spent: enough samples
      throw error;
    }
    chargeMs.push(performance.now() - t);
    t = performance.now();
    privateAggregate(unit, privateStore().rows, { k: query.k, q: query.q, sigma: query.sigma });
    aggregateMs.push(performance.now() - t);
  }

  return {
    steps: Object.fromEntries(STEP_NAMES.map((name) => [name, spread(runs.map((r) => r.steps[name]))])) as Record<StepName, Spread>,
    totalMs: spread(runs.map((r) => r.total)),
    firstImageMs: spread(runs.map((r) => r.first)),
    privateShare: spread(runs.map((r) => (r.steps.charge + r.steps.aggregate) / r.total)),
    storeLoadMs,
    privateAlone: { chargeMs: spread(chargeMs), aggregateMs: spread(aggregateMs) },
    cold: {
      totalMs: cold.total,
      firstImageMs: cold.first,
      chargeMs: cold.steps.charge,
      aggregateMs: cold.steps.aggregate,
      privateShare: (cold.steps.charge + cold.steps.aggregate) / cold.total,
      firstImageShare: (cold.steps.charge + cold.steps.aggregate) / cold.first,
    },
  };
}

// ── main ───────────────────────────────────────────────────────────────────────────────────────────────────

async function main(): Promise<void> {
  const machine = machineInfo();
  say(`# bench:generate — ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}, load ${machine.loadAverage.join(' ')}`);
  const root = mkdtempSync(join(tmpdir(), 'dprdm-generate-bench-'));
  const home = join(root, 'home');
  mkdirSync(home, { recursive: true, mode: 0o700 });
  let models: ModelHost | undefined;
  try {
    const manifestBytes = readFileSync(join(SET, 'manifest.json'));
    const manifest = JSON.parse(manifestBytes.toString('utf8')) as { name: string; version: string; embedding: { dim: number }; files: { imageEncoder: { sha256: string } } };
    const modelSet = { name: manifest.name, version: manifest.version, sha256: createHash('sha256').update(manifestBytes).digest('hex') };
    const dim = manifest.embedding.dim;

    // (b) the synthetic store, imported before the service opens the ledger
    let t = performance.now();
    const data = seededUnitRows(SYNTHETIC_ROWS, dim, 20240601);
    const ids = Array.from({ length: SYNTHETIC_ROWS }, (_, i) => `synthetic-${i}`);
    const importLedger = openLedger(homeLayout(home).ledger);
    const imported = importEmbeddings({
      npy: toNpy(data, SYNTHETIC_ROWS, dim),
      ids,
      name: `Synthetic ${SYNTHETIC_ROWS}`,
      epsilonCap: EPSILON_CAP,
      modelSet: `${manifest.name}@${manifest.version}#${manifest.files.imageEncoder.sha256.slice(0, 16)}`,
      dim,
      home,
      ledger: importLedger,
    });
    importLedger.close();
    const synthetic: BenchDataset = { label: `synthetic ${SYNTHETIC_ROWS.toLocaleString('en')}`, datasetId: imported.datasetId, rows: SYNTHETIC_ROWS, setupS: (performance.now() - t) / 1000, setup: 'generate + importEmbeddings' };

    // One model host (the service's own defaults: provider auto, 1 intra-op thread), shared by both phases.
    models = await ModelHost.start(SET, { provider: 'auto' });
    say(`model set ${models.info.manifest.name} ${models.info.manifest.version} on ${models.info.provider}; ${IMAGES} images, ${SAMPLER === "ddim" ? "DDIM" : "DPM-Solver++(2M)"} ${STEPS} steps, CFG ${GUIDANCE}, ε ${EPSILON} per query, λ ${LAMBDA}; ${REPS} repetitions after one warm-up${quick ? ' (--quick)' : ''}`);
    const withService = async <T>(body: (service: Awaited<ReturnType<typeof createStudioService>>) => Promise<T>): Promise<T> => {
      const service = await createStudioService({ home, modelDir: SET, models });
      try {
        return await body(service);
      } finally {
        await service.close();
      }
    };
    t = performance.now();
    const added = await withService((service) => service.handlers['datasets.add'](parseRequest('datasets.add', { folder: DEMO_FOLDER, name: 'Demo', epsilonCap: EPSILON_CAP }), {}));
    const demo: BenchDataset = { label: `demo (${added.imageCount.toLocaleString('en')} images)`, datasetId: added.id, rows: added.imageCount, setupS: (performance.now() - t) / 1000, setup: 'datasets.add (index)' };

    // Per dataset: end to end through the service, then (service closed) the split on the same home, ledger,
    // history and store, so that both phases see about the same machine load.
    const results: DatasetResult[] = [];
    for (const d of [demo, synthetic]) {
      say(`  end to end: ${d.label} …`);
      const e2e = await withService((service) => endToEnd(service, d.datasetId));
      say(`  split: ${d.label} …`);
      const ledger = openLedger(homeLayout(home).ledger);
      const history = new HistoryStore(homeLayout(home).history);
      try {
        const info = ledger.getDataset(d.datasetId);
        const query = resolveQuery({ epsilon: EPSILON }, info, retrievalRange(models.info.manifest));
        const s = await split({ home, ledger, history, models, modelSet }, d);
        results.push({ dataset: d, query: { k: query.k, q: query.q, sigma: query.sigma, expectedSubsample: query.q * d.rows }, endToEnd: e2e, split: s, cumulativeEpsilon: ledger.getDataset(d.datasetId).cumulativeEpsilon });
      } finally {
        history.close();
        ledger.close();
      }
    }

    report(machine, results);
  } finally {
    await models?.close();
    rmSync(root, { recursive: true, force: true });
  }
}

interface DatasetResult {
  readonly dataset: BenchDataset;
  readonly query: Query & { readonly expectedSubsample: number };
  readonly endToEnd: EndToEnd;
  readonly split: Split;
  /** ε the benchmark spent on the dataset (cap 100): public, for the curious. */
  readonly cumulativeEpsilon: number;
}

function report(machine: ReturnType<typeof machineInfo>, results: DatasetResult[]): void {
  const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
  say('');
  say('## end to end through the studio service (generate.run, 16 images; ms)');
  say('| dataset | setup | first image median | first image max | 16 images median | 16 images max | cold first run (16 images) |');
  say('|---|---|---|---|---|---|---|');
  for (const r of results) {
    const e = r.endToEnd;
    say(`| ${r.dataset.label} | ${r.dataset.setup} ${r.dataset.setupS.toFixed(1)} s | ${ms(e.firstImageMs.median)} | ${ms(e.firstImageMs.max)} | ${ms(e.totalMs.median)} | ${ms(e.totalMs.max)} | ${ms(e.coldTotalMs)} |`);
  }
  say('');
  say(`## split (the studio’s Generator, stage by stage through its probe; medians of ${REPS}, ms)`);
  say('| dataset | k | q | σ | σ calibration | text encode | ledger charge | private aggregate | sampling | PNG write | total | first image | charge + aggregate share | share of end-to-end median | < 5 %? |');
  say('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    const s = r.split;
    const share = s.privateShare.median;
    const ofEndToEnd = (s.steps.charge.median + s.steps.aggregate.median) / r.endToEnd.totalMs.median;
    say(
      `| ${r.dataset.label} | ${r.query.k} | ${r.query.q.toPrecision(3)} | ${r.query.sigma.toPrecision(3)} | ${STEP_NAMES.map((n) => ms(s.steps[n].median)).join(' | ')} | ${ms(s.totalMs.median)} | ${ms(s.firstImageMs.median)} | ${pct(share)} (max ${pct(s.privateShare.max)}) | ${pct(ofEndToEnd)} | ${s.privateShare.max < 0.05 && ofEndToEnd < 0.05 ? 'yes' : 'NO'} |`,
    );
  }
  say('');
  say(`## private steps alone (×${PRIVATE_REPS}; ms)`);
  say('| dataset | charge median | charge p95 | aggregate median | aggregate p95 |');
  say('|---|---|---|---|---|');
  for (const r of results) {
    const p = r.split.privateAlone;
    say(`| ${r.dataset.label} | ${ms(p.chargeMs.median)} | ${ms(p.chargeMs.p95)} | ${ms(p.aggregateMs.median)} | ${ms(p.aggregateMs.p95)} |`);
  }
  say('');
  say('## the first private query after a start (the store not yet loaded; ms)');
  say('| dataset | charge | store load | aggregate with the load | charge + aggregate | that generation: prompt → first image | share of it | share of its 16 images |');
  say('|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    const c = r.split.cold;
    say(`| ${r.dataset.label} | ${ms(c.chargeMs)} | ${ms(r.split.storeLoadMs)} | ${ms(c.aggregateMs)} | ${ms(c.chargeMs + c.aggregateMs)} | ${ms(c.firstImageMs)} | ${pct(c.firstImageShare)} | ${pct(c.privateShare)} |`);
  }
  say('');
  say('Sampling includes the generator’s 5-step preview PNGs; PNG write includes provenance chunks, the file and its history row.');
  say('The first image is sampled alone (then batches of 4), so it arrives after one image’s sampling time.');
  emitJson({
    bench: 'generate',
    machine,
    settings: { images: IMAGES, batches: samplingBatches(IMAGES).map((b) => b.count), sampler: SAMPLER, steps: STEPS, guidance: GUIDANCE, epsilonPerQuery: EPSILON, lambda: LAMBDA, reps: REPS, privateReps: PRIVATE_REPS, syntheticRows: SYNTHETIC_ROWS, quick },
    datasets: results,
  });
  if (!jsonMode) say(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
}

await main();
