// `dprdm generate` in-process on a temp DPRDM_HOME with the real models: public-only and private runs exported with
// their provenance, the refusal over budget, and usage errors.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStudioService } from '../../../core/studio/service.ts';
import { runCli } from '../cli/run-cli.ts';
import { cleanupTemp, localApi, pngProvenance, privateFolder, tempDir } from './helpers.ts';

describe('dprdm generate', () => {
  let home: string;
  let folder: string;
  let datasetId: string;
  const previous = process.env.DPRDM_HOME;
  const ledgerRows = async () => {
    const service = await createStudioService({ home });
    try {
      return (await localApi(() => service)('ledger.show', { datasetId })).entries;
    } finally {
      await service.close();
    }
  };

  beforeAll(async () => {
    home = tempDir('dprdm-cli-gen-home-');
    folder = privateFolder(30, 700);
    process.env.DPRDM_HOME = home;
    const service = await createStudioService({ home });
    try {
      datasetId = (await localApi(() => service)('datasets.add', { folder, name: 'Clinic', epsilonCap: 2 })).id;
    } finally {
      await service.close();
    }
  });
  afterAll(() => {
    if (previous === undefined) delete process.env.DPRDM_HOME;
    else process.env.DPRDM_HOME = previous;
    cleanupTemp();
  });

  it('writes a public-only generation with its manifests and statement (--json)', async () => {
    const out = join(tempDir('dprdm-cli-out-'), 'public');
    const run = await runCli(['generate', '--public-only', '--prompt', 'a red circle', '--images', '2', '--steps', '2', '--out', out, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const json = JSON.parse(run.stdout) as { generation: { publicOnly: boolean; chargeSpent: boolean }; export: { folder: string; files: string[] } };
    expect(json.generation).toMatchObject({ publicOnly: true, chargeSpent: false });
    expect(json.export.folder).toBe(out);
    expect(readdirSync(out).sort()).toEqual([...json.export.files].sort());
    expect(json.export.files.filter((f) => f.endsWith('.png'))).toHaveLength(2);
    expect(readFileSync(join(out, 'PRIVACY.md'), 'utf8')).toMatch(/public-only/);
  });

  it('charges one private query by dataset name and prints what it spent', async () => {
    const out = join(tempDir('dprdm-cli-out-'), 'private');
    const run = await runCli(['generate', '--dataset', 'clinic', '--prompt', 'a blue star', '--epsilon', '0.5', '--images', '1', '--steps', '2', '--seeds', '7', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    const rows = await ledgerRows();
    expect(rows).toHaveLength(1);
    expect(run.stdout).toContain(`receipt ${rows[0]!.receiptId}`);
    expect(run.stdout).toMatch(/ε 0\.\d+ spent/);
    expect(run.stdout).toContain('seeds: 7');
    const png = readdirSync(out).find((f) => f.endsWith('.png'))!;
    const { dprdm } = pngProvenance(readFileSync(join(out, png)));
    expect(dprdm).toMatchObject({ prompt: 'a blue star', seed: 7, steps: 2, privacy: { mode: 'private', receiptId: rows[0]!.receiptId } });
  });

  it('refuses an over-budget query (exit 1, remaining ε on stderr) and charges nothing', async () => {
    const out = join(tempDir('dprdm-cli-out-'), 'refused');
    const run = await runCli(['generate', '--dataset', datasetId, '--prompt', 'a blue star', '--epsilon', '50', '--images', '1', '--steps', '1', '--out', out]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/remaining ε \d/);
    expect(run.stderr).toMatch(/public-only/);
    expect(existsSync(out)).toBe(false);
    expect(await ledgerRows()).toHaveLength(1);
  });

  it('reports usage errors with exit 2, and never exports into the private folder', async () => {
    const cases: [string[], RegExp][] = [
      [['generate', '--prompt', 'a red circle', '--epsilon', '1'], /dataset/],
      [['generate', '--dataset', datasetId, '--prompt', 'a red circle', '--epsilon', '1', '--images', '99'], /images/],
      [['generate', '--dataset', datasetId, '--prompt', 'a red circle', '--epsilon', '1', '--sigma', '0.2'], /not both/],
      [['generate', '--dataset', 'no-such-dataset', '--prompt', 'a red circle', '--epsilon', '1'], /no dataset/],
      [['generate', '--dataset', datasetId, '--prompt', 'a red circle', '--epsilon', '1', '--images', '1', '--steps', '1', '--out', join(folder, 'out')], /private image folder/],
      // the edges a newcomer hit: a negative number is a value, not a flag; ε means nothing public-only; a prompt of
      // unknown words is refused before any charge; names work like ids
      [['generate', '--dataset', datasetId, '--prompt', 'a red circle', '--epsilon', '-1'], /epsilon.*(positive|greater|>)/i],
      [['generate', '--public-only', '--prompt', 'a red circle', '--epsilon', '1'], /--epsilon has no meaning with --public-only/],
      [['generate', '--dataset', 'CLINIC', '--prompt', 'xyzzy plugh frobozz', '--images', '1', '--steps', '1'], /knows none of the words .* nothing was charged/],
    ];
    const before = (await ledgerRows()).length;
    for (const [argv, message] of cases) {
      const run = await runCli(argv);
      expect(run.code, argv.join(' ')).toBe(2);
      expect(run.stderr, argv.join(' ')).toMatch(message);
    }
    expect(existsSync(join(folder, 'out'))).toBe(false);
    // The refused --out was caught before the query was charged.
    expect((await ledgerRows()).length).toBe(before);
    const existing = tempDir('dprdm-cli-existing-');
    const run = await runCli(['generate', '--dataset', datasetId, '--prompt', 'a red circle', '--epsilon', '0.3', '--images', '1', '--steps', '1', '--out', existing]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/already exists/);
    expect((await ledgerRows()).length).toBe(before);
  });

  it('dprdm rerender: the same seed gives the same pixels from the kept condition, with nothing charged (--json carries the cost)', async () => {
    const out = join(tempDir('dprdm-cli-rr-'), 'first');
    const gen = await runCli(['generate', '--dataset', 'Clinic', '--prompt', 'a red star', '--images', '1', '--steps', '3', '--out', out, '--json']);
    expect(gen.code).toBe(0);
    const { generation } = JSON.parse(gen.stdout) as { generation: { generationId: string; parameters: { epsilonCost: number }; remainingEpsilon: number; images: { seed: number }[] } };
    expect(generation.parameters.epsilonCost).toBeGreaterThan(0);
    const rowsBefore = (await ledgerRows()).length;
    const again = join(tempDir('dprdm-cli-rr-'), 'again');
    const rr = await runCli(['rerender', generation.generationId, '--seeds', String(generation.images[0]!.seed), '--steps', '3', '--out', again, '--json']);
    expect(rr.code).toBe(0);
    expect(JSON.parse(rr.stdout).generation).toMatchObject({ chargeSpent: false });
    expect((await ledgerRows()).length).toBe(rowsBefore);
    const png = (dir: string) => readdirSync(dir).find((f) => f.endsWith('.png'))!;
    const pixels = async (file: string) => (await import('sharp')).default(readFileSync(file)).raw().toBuffer();
    expect((await pixels(join(again, png(again)))).equals(await pixels(join(out, png(out))))).toBe(true);
    expect((await runCli(['rerender'])).code).toBe(2);
    expect((await runCli(['rerender', 'gen_nope'])).code).not.toBe(0);
  });

  it('dprdm demo: every PNG it writes carries provenance, the grid included', { timeout: 120_000 }, async () => {
    const out = tempDir('dprdm-cli-demo-');
    process.env.DPRDM_HOME = tempDir('dprdm-cli-demo-home-'); // a fresh studio: this one's Clinic holds demo images
    const run = await runCli(['demo', '--steps', '1', '--out', out, '--json']).finally(() => (process.env.DPRDM_HOME = home));
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as { folder: string; grid: string; epsilonPerPrompt: number };
    expect(summary.epsilonPerPrompt).toBeGreaterThan(0);
    const { dprdm } = pngProvenance(readFileSync(summary.grid)) as unknown as { dprdm: { format: string; tiles: unknown[] } };
    expect(dprdm.format).toBe('dprdm-grid');
    expect(dprdm.tiles).toHaveLength(16);
    for (const file of readdirSync(summary.folder).filter((f) => f.endsWith('.png'))) expect(pngProvenance(readFileSync(join(summary.folder, file))).dprdm, file).toBeDefined();
  });
});
