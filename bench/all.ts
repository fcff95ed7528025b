/**
 * `npm run bench:all [-- --quick] [-- --out FILE]`: runs every `bench:*` script of package.json (each with
 * `--json`, one after another so they do not compete for the cores), collects their figures and writes one summary
 * (docs/benchmarks.md by default) with the machine's cores, memory, CPU model, Node version, date and commit, so
 * that figures can be compared across changes. A bench that fails is recorded as failed; the others still run.
 *
 * --quick uses smaller sizes (below) for a run of a few minutes; the file says which sizes were used.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineInfo, ms, type MachineInfo } from './report.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const quick = process.argv.includes('--quick');
const outIndex = process.argv.indexOf('--out');
const OUT = resolve(ROOT, outIndex >= 0 && process.argv[outIndex + 1] ? process.argv[outIndex + 1]! : join('docs', 'benchmarks.md'));

/** Smaller sizes for --quick (each bench's own JSON records what it actually used). */
const QUICK: Record<string, { env?: Record<string, string>; args?: string[] }> = {
  'bench:privacy': { env: { BENCH_SIZES: '10000,100000' } },
  'bench:ledger': { env: { BENCH_CHARGES: '300' } },
  'bench:index': { args: ['2000'] },
  'bench:models': { env: { BENCH_IMAGES: '1000' } },
  'bench:generate': { args: ['--quick'] },
};
/** The order they run in (others found in package.json run after these). */
const PREFERRED = ['bench:privacy', 'bench:ledger', 'bench:index', 'bench:models', 'bench:generate'];

interface Outcome {
  readonly script: string;
  readonly wallS: number;
  readonly ok: boolean;
  readonly json?: Record<string, unknown>;
  readonly error?: string;
}

function benchScripts(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const found = Object.keys(pkg.scripts).filter((s) => s.startsWith('bench:') && s !== 'bench:all');
  return [...PREFERRED.filter((s) => found.includes(s)), ...found.filter((s) => !PREFERRED.includes(s)).sort()];
}

function run(script: string): Promise<Outcome> {
  const extra = quick ? (QUICK[script] ?? {}) : {};
  const args = ['run', '--silent', script, '--', ...(extra.args ?? []), '--json'];
  process.stderr.write(`\n── ${script}${extra.args?.length ? ` ${extra.args.join(' ')}` : ''}${extra.env ? ` (${Object.entries(extra.env).map(([k, v]) => `${k}=${v}`).join(' ')})` : ''} ──\n`);
  const t0 = performance.now();
  return new Promise((done) => {
    const child = spawn('npm', args, { cwd: ROOT, env: { ...process.env, ...extra.env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.on('error', (error) => done({ script, wallS: (performance.now() - t0) / 1000, ok: false, error: error.message }));
    child.on('close', (code) => {
      const wallS = (performance.now() - t0) / 1000;
      const last = stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
      let json: Record<string, unknown> | undefined;
      try {
        json = last ? (JSON.parse(last) as Record<string, unknown>) : undefined;
      } catch {
        json = undefined;
      }
      if (code !== 0 || !json) done({ script, wallS, ok: false, error: code !== 0 ? `exit code ${code}` : 'printed no JSON figures' });
      else done({ script, wallS, ok: true, json });
    });
  });
}

// ── formatting ─────────────────────────────────────────────────────────────────────────────────────────────

type Row = [figure: string, value: string, target: string];
/* eslint-disable @typescript-eslint/no-explicit-any -- the benches' JSON, read by field name */
type Json = any;

const num = (x: unknown, digits = 0) => (typeof x === 'number' && Number.isFinite(x) ? x.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '–');
const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
const meets = (ok: boolean) => (ok ? 'met' : '**not met**');

function summaryRows(o: Outcome): Row[] {
  const j: Json = o.json;
  switch (o.script) {
    case 'bench:privacy': {
      const rows: Row[] = [];
      for (const r of j.rows as Json[]) {
        if (r.q !== 0.01) continue;
        const target = r.n === 1_000_000 ? `≤ 10 ms and ≥ 3× faster than full scan: ${meets(r.privateMedianMs <= 10 && r.fullJsMs / r.privateMedianMs >= 3)}` : '';
        rows.push([`private query, N = ${num(r.n)}, q = 0.01 (median / p95)`, `${ms(r.privateMedianMs)} / ${ms(r.privateP95Ms)} ms (full exact JS ${ms(r.fullJsMs)} ms, ${(r.fullJsMs / r.privateMedianMs).toFixed(1)}×)`, target]);
      }
      for (const c of j.calibrateSigma as Json[]) rows.push([`calibrateSigma (q = ${c.q}, T = ${num(c.queries)}, ε = ${c.epsilon})`, `${ms(c.medianMs)} ms median`, `≤ 50 ms: ${meets(c.medianMs <= 50)}`]);
      rows.push(['peak RSS', `${num(j.peakRssMiB)} MiB`, '']);
      return rows;
    }
    case 'bench:ledger':
      return [
        [`charge (median / p90 / p95, ×${j.charge.n})`, `${ms(j.charge.medianMs)} / ${ms(j.charge.p90Ms)} / ${ms(j.charge.p95Ms)} ms`, ''],
        ['preview (median)', `${ms(j.preview.medianMs)} ms`, ''],
        [`verify of ${num(j.verify.charges)} charges`, `${ms(j.verify.ms)} ms (${j.verify.ok ? 'ok' : 'FAILED'})`, ''],
      ];
    case 'bench:index':
      return (j.runs as Json[]).flatMap((r): Row[] => [
        [`index N = ${num(r.n)} PNGs, end to end`, `${num(r.filesPerSecond)} files/s (${r.wallS.toFixed(1)} s)`, `≥ 150 files/s: ${meets(r.filesPerSecond >= 150)}`],
        [`no-change re-sync, N = ${num(r.n)}`, `${r.resyncS.toFixed(3)} s`, r.n >= 20_000 ? `≤ 2 s: ${meets(r.resyncS <= 2)}` : ''],
        [`peak RSS, N = ${num(r.n)}`, `${num(r.peakRssMiB)} MiB`, ''],
      ]);
    case 'bench:models':
      return [
        [`image embedding from PNG (worker, ${num(j.images)} files)`, `${num(j.imagesPerSecondWorker)} images/s`, `≥ 200: ${meets(j.imagesPerSecondWorker >= 200)}`],
        ['text embedding, 1 prompt (median)', `${ms(j.textMsOnePrompt)} ms`, ''],
        ['DDIM 25 + CFG, batch 1', `${num(j.msPerImageBatch1)} ms per image`, `≤ 1000 ms: ${meets(j.msPerImageBatch1 <= 1000)}`],
        ['DDIM 25 + CFG, batch 16', `${num(j.msPerImageBatch16)} ms per image`, ''],
      ];
    case 'bench:generate':
      return (j.datasets as Json[]).flatMap((d): Row[] => {
        const s = d.split;
        const ofEndToEnd = (s.steps.charge.median + s.steps.aggregate.median) / d.endToEnd.totalMs.median;
        return [
          [`${d.dataset.label}: prompt → first image (median / max)`, `${ms(d.endToEnd.firstImageMs.median)} / ${ms(d.endToEnd.firstImageMs.max)} ms`, ''],
          [`${d.dataset.label}: prompt → 16 images (median / max)`, `${ms(d.endToEnd.totalMs.median)} / ${ms(d.endToEnd.totalMs.max)} ms`, ''],
          [
            `${d.dataset.label}: charge + aggregate share of the total`,
            `${pct(s.privateShare.median)} (max ${pct(s.privateShare.max)}; ${ms(s.steps.charge.median)} + ${ms(s.steps.aggregate.median)} ms; ${pct(ofEndToEnd)} of the end-to-end median)`,
            `< 5 %: ${meets(s.privateShare.max < 0.05 && ofEndToEnd < 0.05)}`,
          ],
          [`${d.dataset.label}: first private query after a start (store load included)`, `${pct(s.cold.privateShare)} (${ms(s.cold.chargeMs + s.cold.aggregateMs)} ms)`, `< 5 %: ${meets(s.cold.privateShare < 0.05)}`],
        ];
      });
    default:
      // A bench this script does not know yet: its top-level numbers.
      return Object.entries(j)
        .filter(([, v]) => typeof v === 'number')
        .map(([k, v]): Row => [k, num(v, 3), '']);
  }
}

function sizesLine(o: Outcome): string {
  const s: Json = (o.json as Json)?.settings ?? {};
  switch (o.script) {
    case 'bench:privacy':
      return `d = ${s.dim}, k = ${s.k}, σ = ${s.sigma}; N ∈ {${(s.sizes as number[]).map((n) => num(n)).join(', ')}}; q ∈ {${(s.rates as number[]).join(', ')}}`;
    case 'bench:ledger':
      return `${num(s.charges)} charges over ${s.orders} RDP orders, a dataset of ${num(s.members)} members`;
    case 'bench:index':
      return `N ∈ {${(s.counts as number[]).map((n) => num(n)).join(', ')}} generated 64×64 PNGs`;
    case 'bench:models':
      return `${num(s.maxImages)} demo PNGs for embedding, batches of ${s.chunk}; DDIM ${s.steps} steps; ${s.threads} intra-op thread(s), provider ${s.provider}`;
    case 'bench:generate':
      return `${s.images} images per query (batches of ${s.imagesPerBatch}), DDIM ${s.steps} steps, CFG ${s.guidance}, ε ${s.epsilonPerQuery} per query, λ ${s.lambda}; ${s.reps} repetitions after a warm-up, private steps alone ×${s.privateReps}; synthetic store of ${num(s.syntheticRows)} rows`;
    default:
      return JSON.stringify(s);
  }
}

function details(o: Outcome): string[] {
  const j: Json = o.json;
  switch (o.script) {
    case 'bench:privacy':
      return [
        '| N | q | private median ms | private p95 ms | full exact top-k (JS) ms | full exact (usearch) ms | speed-up vs JS |',
        '|---|---|---|---|---|---|---|',
        ...(j.rows as Json[]).map((r) => `| ${num(r.n)} | ${r.q} | ${ms(r.privateMedianMs)} | ${ms(r.privateP95Ms)} | ${ms(r.fullJsMs)} | ${ms(r.fullUsearchMs)} | ${(r.fullJsMs / r.privateMedianMs).toFixed(1)}× |`),
      ];
    case 'bench:index':
      return [
        '| N | files/s | scan ms | read ms | hash ms | decode ms | embed ms | store ms | re-sync s |',
        '|---|---|---|---|---|---|---|---|---|',
        ...(j.runs as Json[]).map((r) => `| ${num(r.n)} | ${num(r.filesPerSecond)} | ${['scanMs', 'readMs', 'hashMs', 'decodeMs', 'embedMs', 'storeMs'].map((k) => num(r.stageMs[k])).join(' | ')} | ${r.resyncS.toFixed(3)} |`),
        '',
        'Stage times are summed across concurrent workers, so they add up to more than the wall time.',
      ];
    case 'bench:generate': {
      const steps = ['calibrate', 'textEncode', 'charge', 'aggregate', 'sampling', 'pngWrite'];
      return [
        'End to end through the studio service (`generate.run`, 16 images; ms):',
        '',
        '| dataset | setup | first image median | first image max | 16 images median | 16 images max | cold first run |',
        '|---|---|---|---|---|---|---|',
        ...(j.datasets as Json[]).map((d) => `| ${d.dataset.label} | ${d.dataset.setup} ${d.dataset.setupS.toFixed(1)} s | ${ms(d.endToEnd.firstImageMs.median)} | ${ms(d.endToEnd.firstImageMs.max)} | ${ms(d.endToEnd.totalMs.median)} | ${ms(d.endToEnd.totalMs.max)} | ${ms(d.endToEnd.coldTotalMs)} |`),
        '',
        'Split: the generator’s building blocks in its order, on the same home, ledger and store, timed from outside the service (medians, ms):',
        '',
        '| dataset | k | q | σ | σ calibration | text encode | ledger charge | private aggregate | sampling | PNG write | total | charge + aggregate |',
        '|---|---|---|---|---|---|---|---|---|---|---|---|',
        ...(j.datasets as Json[]).map(
          (d) => `| ${d.dataset.label} | ${d.query.k} | ${Number(d.query.q).toPrecision(3)} | ${Number(d.query.sigma).toPrecision(3)} | ${steps.map((n) => ms(d.split.steps[n].median)).join(' | ')} | ${ms(d.split.totalMs.median)} | ${pct(d.split.privateShare.median)} |`,
        ),
        '',
        '| dataset | charge alone median / p95 ms | aggregate alone median / p95 ms | store load (first query after a start) ms | first query after a start: charge + load + aggregate ms (share) |',
        '|---|---|---|---|---|',
        ...(j.datasets as Json[]).map((d) => `| ${d.dataset.label} | ${ms(d.split.privateAlone.chargeMs.median)} / ${ms(d.split.privateAlone.chargeMs.p95)} | ${ms(d.split.privateAlone.aggregateMs.median)} / ${ms(d.split.privateAlone.aggregateMs.p95)} | ${ms(d.split.storeLoadMs)} | ${ms(d.split.cold.chargeMs + d.split.cold.aggregateMs)} (${pct(d.split.cold.privateShare)}) |`),
        '',
        'Sampling includes the 5-step preview PNGs the service makes; PNG write includes the provenance chunks, the file and its history row. The first image is sampled alone, the rest in batches of 4.',
      ];
    }
    default:
      return [];
  }
}
/* eslint-enable @typescript-eslint/no-explicit-any */

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

function markdown(machine: MachineInfo, loadAtEnd: number[], outcomes: Outcome[], started: Date, totalS: number): string {
  const lines: string[] = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench:all${quick ? ' -- --quick' : ''}\` on ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC at commit \`${gitCommit()}\` (${(totalS / 60).toFixed(1)} min in all). ` +
      'Run it again after a change and compare the figures; `--quick` uses the smaller sizes listed below.',
    '',
    '## Machine',
    '',
    '| cores | CPU | memory | Node | platform | load average (1/5/15 min) at start → end |',
    '|---|---|---|---|---|---|',
    `| ${machine.cores} | ${machine.cpuModel} | ${machine.memoryGiB} GiB | ${machine.node} | ${machine.platform} | ${machine.loadAverage.join(' / ')} → ${loadAtEnd.join(' / ')} |`,
    '',
    '**These figures are noisy.** The machine has 2 cores and other work (tests, builds, browsers, evaluation runs) ' +
      'ran on it at the same time; the load average above says how busy it was. Differences of 10–30 % between two runs ' +
      'are normal here; compare medians over several runs, or on a quiet machine, before concluding that a change made ' +
      'something faster or slower. The benches are scripts that print figures: no test asserts a timing.',
    '',
    '## Summary',
    '',
    '| benchmark | figure | value | target |',
    '|---|---|---|---|',
  ];
  for (const o of outcomes) {
    if (!o.ok) {
      lines.push(`| \`${o.script}\` | — | **failed** (${o.error}) | |`);
      continue;
    }
    for (const [figure, value, target] of summaryRows(o)) lines.push(`| \`${o.script}\` | ${figure} | ${value} | ${target} |`);
  }
  lines.push('', '## Sizes used', '', '| benchmark | sizes | wall time |', '|---|---|---|');
  for (const o of outcomes) lines.push(`| \`${o.script}\` | ${o.ok ? sizesLine(o) : '—'} | ${o.wallS.toFixed(0)} s |`);
  lines.push('');
  if (quick) lines.push('These are the `--quick` sizes; a full run uses each bench’s defaults (privacy N up to 1,000,000; ledger 1,000 charges; index N = 2,000 and 20,000; models 2,000 images; generate 7 repetitions).', '');
  lines.push('## Details', '');
  for (const o of outcomes) {
    const d = o.ok ? details(o) : [];
    if (d.length === 0) continue;
    lines.push(`### \`${o.script}\``, '', ...d, '');
  }
  lines.push('Each bench prints more when run alone (`npm run bench:generate`, …); `-- --json` gives its figures as JSON.', '');
  return lines.join('\n');
}

async function main(): Promise<void> {
  const started = new Date();
  const machine = machineInfo();
  const scripts = benchScripts();
  process.stderr.write(`bench:all${quick ? ' --quick' : ''}: ${scripts.join(', ')} → ${OUT}\n`);
  const t0 = performance.now();
  const outcomes: Outcome[] = [];
  for (const script of scripts) {
    const o = await run(script);
    process.stderr.write(`── ${script}: ${o.ok ? 'done' : `FAILED (${o.error})`} in ${o.wallS.toFixed(0)} s\n`);
    outcomes.push(o);
  }
  const text = markdown(machine, machineInfo().loadAverage, outcomes, started, (performance.now() - t0) / 1000);
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, text);
  process.stdout.write(`${text}\nwritten to ${OUT}\n`);
  if (outcomes.some((o) => !o.ok)) process.exitCode = 1;
}

await main();
