/**
 * `npm run eval:miniature -- --out DIR`: DP-RDM's claim in miniature (issue 12, docs/evaluation/README.md).
 *
 *  1. the world script writes a private folder of house-look images (default 50,000) to a temporary place;
 *  2. a temporary studio indexes it through the normal path (datasets.add, declared size class, T = 10,000 planned);
 *  3. evaluate.run: public-only, DP at total ε 1, 3, 10 for T queries, and the non-private σ = 0 reference (the same k and q, no noise)
 *     (FD to held-out private images with bootstrap intervals, folder influence and fidelity from the judge);
 *  4. the interactive figures: the Demo folder at the studio's default per-generation spend, every shape × colour
 *     prompt (no look words), private and public-only, judged; and how many such generations the Demo's ε 10 admits.
 * Writes DIR/evaluation.json, DIR/evaluation.md and DIR/plot.png; the temporary folder is deleted at the end.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFlags, optionalNumber, optionalString } from '../core/cli/flags.ts';
import { UsageError } from '../core/cli/usage-error.ts';
import { judgePngs } from '../core/evaluation/judge.ts';
import { allRight, type ExpectedAttributes } from '../core/evaluation/metrics.ts';
import { sizeClassOf } from '../core/ledger/index.ts';
import { ModelHost, readManifest } from '../core/models/index.ts';
import { GENERATION_DEFAULTS, SAMPLERS, parseRequest, type Sampler, type EvaluationReport, type EvaluationRow, type StudioChannel, type StudioResponses } from '../core/contract/contract.ts';
import { createStudioService, DEMO_DATASET_NAME, type StudioService } from '../core/studio/service.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MODEL_DIR = join(ROOT, 'native-models', 'looks-v1');
const BUDGETS = [1, 3, 10];
const PLANNED_QUERIES = 10_000;

interface Options {
  readonly out: string;
  readonly images: number;
  readonly prompts: number;
  readonly seeds: number;
  readonly python: string;
  /** Re-measure only the interactive figures into an existing DIR/evaluation.json. */
  readonly interactiveOnly: boolean;
  /** The sampler and its steps for every image (default DDIM, 25). */
  readonly sampler: Sampler;
  readonly steps: number;
}

function options(argv: string[]): Options {
  const flags = parseFlags(argv, { out: { type: 'string' }, images: { type: 'string' }, prompts: { type: 'string' }, seeds: { type: 'string' }, python: { type: 'string' }, 'interactive-only': { type: 'boolean' }, sampler: { type: 'string' }, steps: { type: 'string' } });
  const out = optionalString(flags, 'out');
  if (out === undefined) throw new UsageError('usage: npm run eval:miniature -- --out DIR [--images 50000] [--prompts 480] [--seeds 1] [--sampler ddim|dpmpp-2m] [--steps N] [--interactive-only]');
  const sampler = optionalString(flags, 'sampler') ?? GENERATION_DEFAULTS.sampler;
  if (!(SAMPLERS as readonly string[]).includes(sampler)) throw new UsageError(`--sampler must be one of ${SAMPLERS.join(', ')}, got ${sampler}`);
  const whole = (name: string, fallback: number, min: number) => {
    const v = optionalNumber(flags, name) ?? fallback;
    if (!(Number.isSafeInteger(v) && v >= min)) throw new UsageError(`--${name} must be a whole number ≥ ${min}, got ${v}`);
    return v;
  };
  return { out: resolve(out), images: whole('images', 50_000, 1000), prompts: whole('prompts', 480, 2), seeds: whole('seeds', 1, 1), python: optionalString(flags, 'python') ?? process.env.PYTHON ?? 'python3', interactiveOnly: flags.values['interactive-only'] === true, sampler: sampler as Sampler, steps: whole('steps', GENERATION_DEFAULTS.steps, 1) };
}

/** A request as a transport sends it: validated, defaults filled in, then handled. */
function call<C extends StudioChannel>(service: StudioService, channel: C, payload: unknown): Promise<StudioResponses[C]> {
  return service.handlers[channel](parseRequest(channel, payload), {});
}

const say = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

async function interactive(work: string, render: { sampler: Sampler; steps: number }): Promise<EvaluationJson['interactive']> {
  const manifest = await readManifest(MODEL_DIR);
  const judge = manifest.judge as { attributes: Record<string, string[]>; lookAttributes?: string[]; houseLook?: Record<string, string> };
  const look = judge.lookAttributes ?? [];
  const house = judge.houseLook ?? {};
  const service = await createStudioService({ home: join(work, 'demo-home'), modelDir: MODEL_DIR });
  const judgeHost = await ModelHost.start(MODEL_DIR, { judge: true });
  try {
    await service.ensureDemoDataset();
    const demo = service.resolveDatasetRef(DEMO_DATASET_NAME);
    const preview = await call(service, 'generate.preview', { datasetId: demo });
    const prompts: { prompt: string; expected: ExpectedAttributes }[] = [];
    for (const shape of judge.attributes.shape!) {
      for (const color of judge.attributes.color!) {
        const prompt = `${/^[aeiou]/.test(color) ? 'an' : 'a'} ${color} ${shape}`;
        prompts.push({ prompt, expected: { shape, color, ...house } });
      }
    }
    const rates = { private: { influence: 0, fidelity: 0 }, public: { influence: 0, fidelity: 0 } };
    const attributes = Object.keys(judge.attributes);
    for (const mode of ['private', 'public'] as const) {
      const pngs: Buffer[] = [];
      const expected: ExpectedAttributes[] = [];
      for (const [i, p] of prompts.entries()) {
        const result = await call(service, 'generate.run', { datasetId: demo, prompt: p.prompt, images: 2, seeds: [2 * i + 1, 2 * i + 2], publicOnly: mode === 'public', ...render });
        for (const image of result.images) {
          pngs.push(readFileSync(service.resolveFile(image.url.split('?')[0]!.split('/').slice(2))!));
          expected.push(p.expected);
        }
      }
      const hits = await judgePngs(judgeHost, manifest, pngs, expected);
      rates[mode] = { influence: allRight(hits, attributes, look), fidelity: allRight(hits, attributes, attributes.filter((a) => !look.includes(a))) };
      say(`interactive ${mode}: ${pngs.length} images, folder influence ${rates[mode].influence.toFixed(3)}, fidelity ${rates[mode].fidelity.toFixed(3)}`);
    }
    return {
      folderInfluencePrivate: rates.private.influence,
      folderInfluencePublic: rates.public.influence,
      fidelity: Math.min(rates.private.fidelity, rates.public.fidelity),
      fidelityPrivate: rates.private.fidelity,
      fidelityPublic: rates.public.fidelity,
      generationsPerBudget: preview.generationsThatFit,
      defaultSpend: { epsilon: preview.epsilonCost, sigma: preview.sigma, k: preview.k, q: preview.q, influence: preview.influence },
      images: 2 * prompts.length,
      sampler: render.sampler,
      steps: render.steps,
    };
  } finally {
    await judgeHost.close();
    await service.close();
  }
}

interface EvaluationJson {
  readonly rows: { setting: EvaluationRow['setting']; epsilon: number | null; sigma: number | null; fd: number; fdLow: number; fdHigh: number; folderInfluence: number | null; fidelity: number | null }[];
  readonly differenceAtEpsilon10: { fd: number; low: number; high: number };
  readonly interactive: {
    folderInfluencePrivate: number;
    folderInfluencePublic: number;
    fidelity: number;
    fidelityPrivate: number;
    fidelityPublic: number;
    generationsPerBudget: number;
    defaultSpend: { epsilon: number; sigma: number; k: number; q: number; influence: string };
    images: number;
    sampler: Sampler;
    steps: number;
  };
  readonly setup: Record<string, unknown>;
  readonly verdict: EvaluationReport['verdict'];
  readonly minutes: number;
}

function table(e: EvaluationJson): string {
  const pct = (v: number | null) => (v === null ? '—' : `${(100 * v).toFixed(0)} %`);
  const lines = [
    '| setting | total ε (T = 10,000) | σ | FD (95 % interval) | folder influence | fidelity |',
    '|---|---|---|---|---|---|',
    ...e.rows.map((r) => `| ${r.setting} | ${r.epsilon ?? '—'} | ${r.sigma === null ? '—' : r.sigma.toPrecision(3)} | ${r.fd.toFixed(4)} (${r.fdLow.toFixed(4)}–${r.fdHigh.toFixed(4)}) | ${pct(r.folderInfluence)} | ${pct(r.fidelity)} |`),
    '',
    `Public-only FD minus DP FD at ε 10: ${e.differenceAtEpsilon10.fd.toFixed(4)} (95 % interval ${e.differenceAtEpsilon10.low.toFixed(4)} to ${e.differenceAtEpsilon10.high.toFixed(4)}; positive = DP better).`,
    '',
    ...(e.verdict?.steps.length ? ['Paired steps (FD before minus after; positive = the later setting is closer to the held-out images):', '', ...e.verdict.steps.map((st) => `- ${st.from} → ${st.to}: ${st.fd.toFixed(4)} (95 % interval ${st.interval.low.toFixed(4)} to ${st.interval.high.toFixed(4)})`), ''] : []),
    `Interactive (the Demo folder at the default spend: ε ${e.interactive.defaultSpend.epsilon.toPrecision(3)} per generation, σ ${e.interactive.defaultSpend.sigma.toPrecision(3)}, k ${e.interactive.defaultSpend.k}, q ${e.interactive.defaultSpend.q.toPrecision(3)}; ${e.interactive.images} images each): house look in ${pct(e.interactive.folderInfluencePrivate)} of private images vs ${pct(e.interactive.folderInfluencePublic)} public-only; fidelity ${pct(e.interactive.fidelityPrivate)} private, ${pct(e.interactive.fidelityPublic)} public-only; ${e.interactive.generationsPerBudget} such generations fit the Demo's ε 10.`,
  ];
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  const t0 = performance.now();
  const work = mkdtempSync(join(tmpdir(), 'dprdm-miniature-'));
  try {
    if (o.interactiveOnly) {
      const previous = JSON.parse(readFileSync(join(o.out, 'evaluation.json'), 'utf8')) as EvaluationJson;
      const json = { ...previous, interactive: await interactive(work, { sampler: o.sampler, steps: o.steps }) };
      writeFileSync(join(o.out, 'evaluation.json'), `${JSON.stringify(json, null, 2)}\n`);
      writeFileSync(join(o.out, 'evaluation.md'), table(json));
      process.stdout.write(table(json));
      return;
    }
    const folder = join(work, 'folder');
    const captionsPath = join(work, 'captions.json');
    say(`writing ${o.images} house-look images (world script) to a temporary folder…`);
    const made = spawnSync(o.python, [join(MODEL_DIR, 'train', 'make_private.py'), '--out', folder, '--n', String(o.images), '--seed', '50', '--captions', captionsPath], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (made.status !== 0) throw new Error(`the world script failed (${o.python} with numpy and pillow is needed: pip install -r native-models/looks-v1/train/requirements.txt)`);

    const service = await createStudioService({ home: join(work, 'home'), modelDir: MODEL_DIR });
    let report: EvaluationReport;
    try {
      say('indexing it through datasets.add…');
      const dataset = await call(service, 'datasets.add', { folder, name: 'miniature', epsilonCap: 10, sizeClass: sizeClassOf(o.images), plannedGenerations: PLANNED_QUERIES });
      say(`dataset planned at k ${dataset.defaults.k}, q ${dataset.defaults.q}; evaluating (${o.prompts} prompts × ${o.seeds} seeds × ${BUDGETS.length + 2} settings)…`);
      let last = 0;
      const unsubscribe = service.subscribe((e) => {
        if (e.type === 'progress' && e.task === 'evaluate' && e.done - last >= 50) {
          last = e.done;
          say(`  ${e.done}/${e.total} images`);
        }
      });
      const captions = JSON.parse(readFileSync(captionsPath, 'utf8')) as Record<string, unknown>;
      try {
        report = await call(service, 'evaluate.run', { datasetId: dataset.id, budgets: BUDGETS, plannedQueries: PLANNED_QUERIES, prompts: o.prompts, seeds: o.seeds, lambda: 1, guidance: 3, steps: o.steps, sampler: o.sampler, captions, confirmNonPrivate: true });
      } finally {
        unsubscribe();
      }
    } finally {
      await service.close();
    }
    say('interactive figures on the Demo folder…');
    const inter = await interactive(work, { sampler: o.sampler, steps: o.steps });
    const dp10 = report.rows.find((r) => r.setting === 'dp' && r.epsilonTotal === 10)!;
    const json: EvaluationJson = {
      rows: report.rows.map((r) => ({ setting: r.setting, epsilon: r.epsilonTotal, sigma: r.sigma, fd: r.fd, fdLow: r.fdInterval.low, fdHigh: r.fdInterval.high, folderInfluence: r.folderInfluence, fidelity: r.fidelity })),
      differenceAtEpsilon10: { fd: report.verdict!.fdMargin, low: report.verdict!.fdMarginInterval.low, high: report.verdict!.fdMarginInterval.high },
      interactive: inter,
      setup: { ...report.parameters, images: o.images, relativeImprovementAtEpsilon10: report.verdict!.fdMargin / report.rows[0]!.fd, dpSigmaAtEpsilon10: dp10.sigma },
      verdict: report.verdict,
      minutes: Number(((performance.now() - t0) / 60_000).toFixed(1)),
    };
    mkdirSync(o.out, { recursive: true });
    writeFileSync(join(o.out, 'evaluation.json'), `${JSON.stringify(json, null, 2)}\n`);
    writeFileSync(join(o.out, 'evaluation.md'), table(json));
    copyFileSync(join(report.folder!, 'plot.png'), join(o.out, 'plot.png'));
    process.stdout.write(table(json));
    say(`done in ${json.minutes} min: ${o.out}/evaluation.json`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`eval:miniature failed: ${(error as Error).message}\n`);
  process.exit(1);
});
