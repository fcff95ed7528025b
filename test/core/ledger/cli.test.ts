/** `dprdm ledger list|show|verify|unlock|export`: exit codes 0 / 1 (verification failed) / 2 (bad input, one line). */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../core/cli/main.ts';
import { ledgerCommand } from '../../../core/cli/ledger-command.ts';
import type { CommandIO } from '../../../core/cli/io.ts';
import { openLedger } from '../../../core/ledger/index.ts';
import { memberHashes, tempLedger } from './helpers.ts';

const temp = tempLedger('dprdm-cli-');
const previousHome = process.env.DPRDM_HOME;
let datasetId: string;

function capture(): CommandIO & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    interactive: false,
    stdout(text: string) {
      io.out += text;
    },
    stderr(text: string) {
      io.err += text;
    },
  };
  return io;
}

async function run(...argv: string[]) {
  const io = capture();
  const code = await main(['ledger', ...argv], io);
  return { code, out: io.out, err: io.err };
}

beforeAll(() => {
  process.env.DPRDM_HOME = temp.dir;
  const ledger = openLedger(join(temp.dir, 'ledger.sqlite'));
  datasetId = ledger.createDataset({ name: 'Field photos', memberHashes: memberHashes(120, 'cli'), epsilonCap: 2 }).id;
  ledger.charge(datasetId, { q: 0.02, sigma: 1, k: 8, purpose: 'a fern' });
  ledger.charge(datasetId, { q: 0.02, sigma: 1, k: 8, purpose: 'a moss, close up', kind: 'audit' });
  ledger.close();
});
afterAll(() => {
  if (previousHome === undefined) delete process.env.DPRDM_HOME;
  else process.env.DPRDM_HOME = previousHome;
  temp.cleanup();
});

describe('dprdm ledger', () => {
  it('list prints the datasets, as text and --json', async () => {
    const text = await run('list');
    expect(text.code).toBe(0);
    expect(text.out).toContain(datasetId);
    expect(text.out).toMatch(/Field photos\s+120 images\s+2 queries/);
    const json = await run('list', '--json');
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.out) as { datasets: { id: string; charges: number; locked: boolean }[] };
    expect(parsed.datasets).toEqual([expect.objectContaining({ id: datasetId, charges: 2, locked: false })]);
  });

  it('show accepts an id or a unique name', async () => {
    const byId = await run('show', datasetId, '--json');
    expect(byId.code).toBe(0);
    const parsed = JSON.parse(byId.out) as { charges: { purpose: string; kind: string }[]; events: { kind: string }[] };
    expect(parsed.charges.map((c) => [c.purpose, c.kind])).toEqual([
      ['a fern', 'release'],
      ['a moss, close up', 'audit'],
    ]);
    expect(parsed.events[0]!.kind).toBe('created');
    const byName = await run('show', 'Field photos');
    expect(byName.code).toBe(0);
    expect(byName.out).toMatch(/#2 .* audit q=0.02 σ=1 k=8/);
  });

  it('export writes JSON and CSV with the privacy statement', async () => {
    const json = await run('export', datasetId, '--format', 'json');
    expect(json.code).toBe(0);
    expect((JSON.parse(json.out) as { statement: string }).statement).toMatch(/2 entries have been recorded/);
    const csv = await run('export', datasetId, '--format', 'csv');
    expect(csv.code).toBe(0);
    expect(csv.out).toMatch(/^seq,receipt_id,/);
    expect(csv.out).toContain('"a moss, close up"');
    const file = join(temp.dir, 'out.csv');
    const written = await run('export', datasetId, '--format', 'csv', '--out', file);
    expect(written.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toMatch(/^seq,receipt_id/);
    expect((JSON.parse(readFileSync(`${file}.meta.json`, 'utf8')) as { statement: string }).statement).toMatch(/Privacy statement/);
  });

  it('bad input exits 2 with one line on stderr', async () => {
    for (const argv of [['frobnicate'], [], ['show'], ['show', 'no-such-dataset'], ['verify', 'ds_0000000000000000'], ['export', datasetId, '--format', 'xml'], ['list', '--bogus'], ['show', datasetId, 'extra']]) {
      const result = await run(...argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.err.trimEnd().split('\n'), argv.join(' ')).toHaveLength(1);
      expect(result.err).toMatch(/^dprdm: /);
    }
  });

  it('verify exits 0 when the ledger is intact and 1 (and locks) when it was tampered with', async () => {
    const ok = await run('verify', datasetId);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/^ok: .* 2 entries/);
    const db = new Database(join(temp.dir, 'ledger.sqlite'));
    db.prepare('UPDATE charges SET sigma = 5 WHERE seq = 1').run();
    db.close();
    const failed = await run('verify', datasetId, '--json');
    expect(failed.code).toBe(1);
    const report = JSON.parse(failed.out) as { ok: boolean; problems: { seq: number | null }[]; locked: boolean };
    expect(report).toMatchObject({ ok: false, locked: true });
    expect(report.problems[0]!.seq).toBe(1);
    expect(failed.err).toMatch(/^dprdm: verification of .* failed at charge #1/);
    const list = JSON.parse((await run('list', '--json')).out) as { datasets: { locked: boolean }[] };
    expect(list.datasets[0]!.locked).toBe(true);
  });

  it('runs from bin/dprdm.js in a child process', () => {
    const root = fileURLToPath(new URL('../../../', import.meta.url));
    const out = execFileSync(process.execPath, [join(root, 'bin', 'dprdm.js'), 'ledger', 'list', '--json'], { env: { ...process.env, DPRDM_HOME: temp.dir }, encoding: 'utf8' });
    expect((JSON.parse(out) as { datasets: unknown[] }).datasets).toHaveLength(1);
    const bad = spawnSync(process.execPath, [join(root, 'bin', 'dprdm.js'), 'ledger', 'verify', datasetId], { env: { ...process.env, DPRDM_HOME: temp.dir }, encoding: 'utf8' });
    expect(bad.status).toBe(1);
  });

  it('unlock needs the curator: a note, a confirmation, and a ledger that verifies (or --force, recorded)', async () => {
    expect(JSON.parse((await run('list', '--json')).out).datasets[0].locked).toBe(true); // tampered and locked above
    const noNote = await run('unlock', datasetId, '--yes');
    expect(noNote.code).toBe(2);
    expect(noNote.err).toMatch(/--note is required/);
    const noTerminal = await run('unlock', datasetId, '--note', 'checked');
    expect(noTerminal.code).toBe(2);
    expect(noTerminal.err).toMatch(/needs a confirmation/);
    const io = capture();
    expect(await ledgerCommand(['unlock', datasetId, '--note', 'checked'], io, async () => 'ds_wrong').catch((e: Error) => e.message)).toMatch(/not confirmed/);
    const stillBroken = await run('unlock', datasetId, '--note', 'looks fine to me', '--yes');
    expect(stillBroken.code).toBe(1);
    expect(stillBroken.err).toMatch(/verification still fails/);
    expect(JSON.parse((await run('list', '--json')).out).datasets[0].locked).toBe(true);

    const db = new Database(join(temp.dir, 'ledger.sqlite'));
    db.prepare('UPDATE charges SET sigma = 1 WHERE seq = 1').run(); // the curator restores the row
    db.close();
    const confirmed = capture();
    expect(await ledgerCommand(['unlock', datasetId, '--note', 'restored from backup', '--json'], confirmed, async () => datasetId)).toBe(0);
    expect(JSON.parse(confirmed.out)).toMatchObject({ forced: false, budget: { locked: false } });
    expect((await run('verify', datasetId)).code).toBe(0);
    const events = (JSON.parse((await run('show', datasetId, '--json')).out) as { events: { kind: string; detail: string }[] }).events;
    expect(events.at(-1)).toMatchObject({ kind: 'unlocked', detail: expect.stringContaining('restored from backup') });
    const spent = JSON.parse((await run('list', '--json')).out).datasets[0];
    expect(spent).toMatchObject({ locked: false, charges: 2 }); // the spend stays
  });
});
