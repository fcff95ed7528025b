import { rmSync, writeFileSync } from 'node:fs';
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
    expect(report).toMatchObject({ name: 'cli test', members: 6, filesQuarantined: 1 });
    const id = report.datasetId as string;
    const list = JSON.parse((await runCli(['dataset', 'list', '--json'])).stdout);
    expect(list.datasets.map((d: { datasetId: string }) => d.datasetId)).toEqual([id]);
    expect(list.datasets[0].budget).toMatchObject({ epsilonCap: 5, inSync: true });
    const show = JSON.parse((await runCli(['dataset', 'show', id, '--json'])).stdout);
    expect(show.quarantined).toEqual([{ path: 'broken.jpg', reason: expect.stringMatching(/not an image/), retried: false }]);
    const sync = JSON.parse((await runCli(['dataset', 'sync', id, '--json'])).stdout);
    expect(sync.counts).toMatchObject({ unchanged: 7, read: 0 });
    const remove = await runCli(['dataset', 'remove', id, '--json']);
    expect(remove.code).toBe(0);
    expect(JSON.parse((await runCli(['dataset', 'list', '--json'])).stdout).datasets).toEqual([]);
  });

  it('answers bad input with exit 2 and one line', async () => {
    const r = await runCli(['dataset', 'show', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect((await runCli(['dataset', 'add'])).code).toBe(2);
    expect((await runCli(['dataset', 'frobnicate'])).code).toBe(2);
  });
});
