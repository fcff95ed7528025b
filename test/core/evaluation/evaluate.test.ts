// End to end through the studio service: a tiny evaluation (3 prompts, 1 seed, 1 DDIM step) of a 40-image folder
// with the demo world's captions. Its DP queries must land in the ledger as 'audit' entries naming no prompt or
// file, a plan that does not fit is refused before anything is charged, and the working images are deleted.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultModelDir } from '../../../core/datasets/index.ts';
import { parseRequest, StudioError, type EvaluateRequest } from '../../../core/contract/contract.ts';
import { createStudioService, type StudioService } from '../../../core/studio/service.ts';
import { runCli } from '../cli/run-cli.ts';

const modelDir = defaultModelDir();
const allCaptions = JSON.parse(readFileSync(join(modelDir, 'eval', 'demo-private-captions.json'), 'utf8')) as Record<string, { caption: string; attributes: Record<string, string> }>;
const names = Object.keys(allCaptions).sort().slice(0, 40);
const captions = Object.fromEntries(names.map((n) => [n, { caption: allCaptions[n]!.caption, attributes: allCaptions[n]!.attributes }]));

let root: string;
let service: StudioService;
let datasetId: string;

const request = (extra: Partial<EvaluateRequest>): EvaluateRequest => parseRequest('evaluate.run', { datasetId, prompts: 3, seeds: 1, steps: 1, budgets: [3, 10], q: 0.25, captions, confirmNonPrivate: true, ...extra });

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'dprdm-eval-'));
  const folder = join(root, 'private');
  mkdirSync(folder);
  for (const n of names) copyFileSync(join(modelDir, 'demo-private', n), join(folder, n));
  service = await createStudioService({ home: join(root, 'home') });
  datasetId = (await service.handlers['datasets.add']({ folder, name: 'Eval', epsilonCap: 10 }, {})).id;
}, 120_000);

afterAll(async () => {
  await service?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('evaluate.run', () => {
  it('plans without charging or generating on a dry run', async () => {
    const report = await service.handlers['evaluate.run'](request({ dryRun: true }), {});
    expect(report.dryRun).toBe(true);
    expect(report.rows).toEqual([]);
    expect(report.audit.queries).toBe(6);
    expect(report.audit.epsilon).toBeGreaterThan(0);
    expect(report.audit.fits).toBe(true);
    expect((await service.handlers['ledger.show']({ datasetId }, {})).entries).toHaveLength(0);
    expect(report.parameters.k).toBe(8); // the model set's k unless the request names one
    expect((await service.handlers['evaluate.run'](request({ dryRun: true, k: 16 }), {})).parameters.k).toBe(16);
  });

  it('runs a tiny evaluation whose DP queries are audit entries in the ledger', async () => {
    const report = await service.handlers['evaluate.run'](request({}), {});
    expect(report.rows.map((r) => r.setting)).toEqual(['public-only', 'dp', 'dp', 'non-private']);
    expect(report.rows.filter((r) => r.differentiallyPrivate).map((r) => r.epsilonTotal)).toEqual([3, 10]);
    for (const row of report.rows) {
      expect(Number.isFinite(row.fd)).toBe(true);
      expect(row.fdPerSeed).toHaveLength(1);
      expect(row.judgeAccuracy).not.toBeNull();
    }
    expect(report.verdict?.summary).toMatch(/miniature reproduction/);
    // it renders like a generation: the model set's λ and the studio's guidance unless asked otherwise
    expect(report.parameters).toMatchObject({ lambda: 1, guidance: 3 });
    // one paired step per move up the ε axis and on to the non-private line, each the difference of its rows' FD
    const v = report.verdict!;
    expect(v.steps.map((st) => [st.from, st.to])).toEqual([[report.rows[1]!.label, report.rows[2]!.label], [report.rows[2]!.label, report.rows[3]!.label]]);
    v.steps.forEach((st, j) => expect(st.fd).toBeCloseTo(report.rows[j + 1]!.fd - report.rows[j + 2]!.fd, 12));
    expect(v.nonPrivateBeyondDp).toBe(report.rows[3]!.fd < report.rows[2]!.fd);
    expect(v.holds).toBe(v.beatsPublic && v.monotone && v.nonPrivateBeyondDp);
    expect(report.notice).toMatch(/curator’s eyes only/);
    expect(report.plotPng).toMatch(/^data:image\/png;base64,/);

    const ledger = await service.handlers['ledger.show']({ datasetId }, {});
    expect(ledger.entries).toHaveLength(6);
    expect(ledger.entries.every((e) => e.kind === 'audit' && e.q === 0.25 && e.lambda === report.parameters.lambda)).toBe(true);
    expect(report.audit.charged).toBe(6);
    expect(ledger.budget.spentEpsilon).toBeCloseTo(report.audit.cumulativeEpsilonAfter, 9);
    expect(ledger.budget.spentEpsilon).toBeLessThanOrEqual(report.audit.epsilon + 1e-9);
    // Nothing private in the report or the ledger: no caption, no file name.
    const text = JSON.stringify(report) + JSON.stringify(ledger);
    for (const n of names) {
      expect(text).not.toContain(n);
      expect(text).not.toContain(captions[n]!.caption);
    }
    // Only the report stays; the generated images and their history are gone; the studio's history is untouched.
    expect(readdirSync(report.folder!).sort()).toEqual(['evaluation.json', 'evaluation.md', 'plot.png']);
    expect(existsSync(join(report.folder!, 'work'))).toBe(false);
    expect(await service.handlers['history.list']({}, {})).toEqual([]);
  }, 180_000);

  it('refuses a plan that does not fit the budget, with the numbers, before charging anything', async () => {
    const before = (await service.handlers['ledger.show']({ datasetId }, {})).entries.length;
    const error = await service.handlers['evaluate.run'](request({ prompts: 8, seeds: 2, budgets: [9], plannedQueries: 2 }), {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StudioError);
    expect((error as StudioError).code).toBe('BUDGET_EXCEEDED');
    expect((error as StudioError).message).toMatch(/audit queries costing ε [\d.]+ .* of its cap 10\. Nothing was charged or read\./);
    expect((await service.handlers['ledger.show']({ datasetId }, {})).entries).toHaveLength(before);
  });

  it('runs nothing without the curator’s confirmation that its numbers are not DP; nothing is charged', async () => {
    const before = (await service.handlers['ledger.show']({ datasetId }, {})).entries.length;
    const error = await service.handlers['evaluate.run'](request({ confirmNonPrivate: false }), {}).catch((e: unknown) => e);
    expect((error as StudioError).code).toBe('INVALID_REQUEST');
    expect((error as StudioError).message).toMatch(/not differentially private: confirm .* Nothing was charged or read/);
    expect((await service.handlers['ledger.show']({ datasetId }, {})).entries).toHaveLength(before);
  });

  it('commits every audit charge before it reads a private row', async () => {
    // captions that match no image: the run fails only once it reads the held-out rows' names — after the charges
    const before = (await service.handlers['ledger.show']({ datasetId }, {})).entries.length;
    const error = await service.handlers['evaluate.run'](request({ captions: { 'no-such-image.png': 'a red star' }, budgets: [10] }), {}).catch((e: unknown) => e);
    expect((error as StudioError).message).toMatch(/held-out images have a caption/);
    const after = (await service.handlers['ledger.show']({ datasetId }, {})).entries;
    expect(after).toHaveLength(before + 3); // 3 prompts × 1 seed × 1 budget, all committed first
    expect(after.slice(before).every((e) => e.kind === 'audit')).toBe(true);
  });

  it('needs captions for a dataset outside the demo world', async () => {
    const error = await service.handlers['evaluate.run'](parseRequest('evaluate.run', { datasetId, prompts: 3, seeds: 1, steps: 1, confirmNonPrivate: true }), {}).catch((e: unknown) => e);
    expect((error as StudioError).code).toBe('INVALID_REQUEST');
    expect((error as StudioError).message).toMatch(/captions/);
  });
});

describe('dprdm evaluate flags', () => {
  it.each([
    [['--prompts', 'many', '--dataset', 'demo']],
    [['--dataset', 'demo', '--bogus']],
    [[]],
    [['--dataset', 'demo', '--budgets', '1,x']],
    [['--dataset', 'demo', '--lambda', '2']],
  ])('exits 2 with one line for %j', async (argv) => {
    const r = await runCli(['evaluate', ...argv]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^dprdm: /);
  });
});
