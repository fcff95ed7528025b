import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli.ts';
import { colourImage } from './corpus.ts';
import { tempDir } from './helpers.ts';

describe('dprdm dataset', () => {
  let home: string;
  let folder: string;
  const previous = process.env.DPRDM_HOME;
  beforeAll(async () => {
    home = tempDir('dprdm-cli-home-');
    folder = tempDir();
    process.env.DPRDM_HOME = home;
    for (let i = 0; i < 6; i++) writeFileSync(join(folder, `p${i}.png`), await (await colourImage(i * 40, 80, 120, 32, i)).png().toBuffer());
    writeFileSync(join(folder, 'broken.jpg'), 'text');
  });
  afterAll(() => {
    if (previous === undefined) delete process.env.DPRDM_HOME;
    else process.env.DPRDM_HOME = previous;
    rmSync(home, { recursive: true, force: true });
    rmSync(folder, { recursive: true, force: true });
  });

  it('add, list, show, sync, remove with --json (one object each)', async () => {
    const add = await runCli(['dataset', 'add', folder, '--name', 'cli test', '--epsilon-cap', '5', '--json']);
    expect(add.code).toBe(0);
    const report = JSON.parse(add.stdout);
    expect(report).toMatchObject({ name: 'cli test', imageCount: 6, quarantinedCount: 1, run: { created: true } });
    const id = report.id as string;
    const list = JSON.parse((await runCli(['dataset', 'list', '--json'])).stdout);
    expect(list.datasets.map((d: { id: string }) => d.id)).toEqual([id]);
    expect(list.datasets[0]).toMatchObject({ budget: { epsilonCap: 5 }, indexMatchesLedger: true });
    const show = JSON.parse((await runCli(['dataset', 'show', id, '--json'])).stdout);
    // a name works wherever an id does (as in ledger show and generate --dataset)
    expect(JSON.parse((await runCli(['dataset', 'show', 'CLI test', '--json'])).stdout).id).toBe(id);
    expect(show.quarantined).toEqual([{ path: 'broken.jpg', reason: expect.stringMatching(/not an image/), retried: false }]);
    const sync = JSON.parse((await runCli(['dataset', 'sync', id, '--json'])).stdout);
    expect(sync.run).toMatchObject({ created: false, counts: { unchanged: 7, read: 0 } });
    const remove = await runCli(['dataset', 'remove', id, '--json']);
    expect(remove.code).toBe(0);
    expect(JSON.parse((await runCli(['dataset', 'list', '--json'])).stdout).datasets).toEqual([]);
  });

  it('an image moved from a spent folder to a new one brings its spend along (sync A, add B)', { timeout: 120_000 }, async () => {
    const a = tempDir();
    const b = tempDir();
    for (let i = 0; i < 4; i++) writeFileSync(join(a, `m${i}.png`), await (await colourImage(200 - i * 30, 60, i * 50, 32, 40 + i)).png().toBuffer());
    const added = JSON.parse((await runCli(['dataset', 'add', a, '--name', 'A', '--epsilon-cap', '3', '--json'])).stdout);
    const out = join(tempDir(), 'out');
    const gen = await runCli(['generate', '--dataset', added.id, '--prompt', 'a red star', '--epsilon', '2.5', '--images', '1', '--steps', '1', '--out', out, '--json']);
    expect(gen.code).toBe(0);
    renameSync(join(a, 'm0.png'), join(b, 'm0.png'));
    writeFileSync(join(b, 'b.png'), await (await colourImage(10, 220, 10, 32, 60)).png().toBuffer());
    expect((await runCli(['dataset', 'sync', added.id, '--json'])).code).toBe(0);
    const addB = await runCli(['dataset', 'add', b, '--name', 'B', '--epsilon-cap', '3', '--json']);
    expect(addB.code).toBe(0);
    const list = JSON.parse((await runCli(['dataset', 'list', '--json'])).stdout) as { datasets: { name: string; budget: { spentEpsilon: number } }[] };
    const spent = Object.fromEntries(list.datasets.map((d) => [d.name, d.budget.spentEpsilon]));
    expect(spent.A).toBeGreaterThan(2.4);
    expect(spent.B).toBeGreaterThanOrEqual(spent.A!); // not ε 0 of 3
    expect((await runCli(['dataset', 'list', '--json'])).stdout).not.toMatch(/fingerprint/i);
    // and a dataset that would promise those images less than they were promised is refused, with what to do
    const c = tempDir();
    renameSync(join(b, 'm0.png'), join(c, 'm0.png'));
    expect((await runCli(['dataset', 'sync', JSON.parse(addB.stdout).id])).code).toBe(0);
    const refused = await runCli(['dataset', 'add', c, '--name', 'C', '--epsilon-cap', '1']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/cap of at least ε/);
  });

  it('answers bad input with exit 2 and one line', async () => {
    const r = await runCli(['dataset', 'show', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect((await runCli(['dataset', 'add'])).code).toBe(2);
    expect((await runCli(['dataset', 'frobnicate'])).code).toBe(2);
    const precision = await runCli(['dataset', 'add', tempDir(), '--precision', 'float8']);
    expect(precision.code).toBe(2);
    expect(precision.stderr.trim()).toBe('dprdm: --precision must be float32 or float16, got "float8"');
  });
});
