/**
 * Crash safety (issue 3, test 1): a child loops charge → write a "released" marker; the parent SIGKILLs it at
 * random moments, at least 200 times. After every kill the file passes PRAGMA integrity_check, the ledger
 * verifies, and every released marker has a committed charge. Zero violations.
 *
 * Children (the fixture transpiled once to plain ESM, see fixtures/compile.ts) start ahead of time in a small
 * pool so that startup overlaps the kills; each child opens the ledger only after "go", so kills also land
 * during open and WAL recovery.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openLedger } from '../../../core/ledger/index.ts';
import { memberHashes, tempLedger } from './helpers.ts';
import { compileFixture, type CompiledFixture } from './fixtures/compile.ts';

const KILLS = 200;
const POOL = 2;
const CHILD = fileURLToPath(new URL('./fixtures/crash-child.ts', import.meta.url));

interface Pending {
  child: ChildProcess;
  ready: Promise<void>;
  opened: Promise<void>;
  exited: Promise<void>;
}

function spawnChild(fixture: CompiledFixture, path: string, datasetId: string, markers: string): Pending {
  const child = spawn(process.execPath, [...fixture.args, path, datasetId, markers], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  let onReady: () => void = () => undefined;
  let onOpen: () => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    onReady = resolve;
    child.once('exit', (code, signal) => reject(new Error(`child exited before ready (${code ?? signal}): ${stderr}`)));
  });
  const opened = new Promise<void>((resolve) => {
    onOpen = resolve;
    child.once('exit', () => resolve());
  });
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    if (output.includes('ready\n')) onReady();
    if (output.includes('open\n')) onOpen();
  });
  ready.catch(() => undefined);
  return { child, ready, opened, exited };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('ledger crash safety under SIGKILL', () => {
  const temp = tempLedger('dprdm-crash-');
  const fixture = compileFixture(CHILD);
  afterAll(() => {
    temp.cleanup();
    fixture.cleanup();
  });

  it(`survives ${KILLS} SIGKILLs at random moments with 0 violations`, { timeout: 240_000 }, async () => {
    const markers = join(temp.dir, 'released');
    mkdirSync(markers);
    const setup = openLedger(temp.path);
    const dataset = setup.createDataset({ name: 'crash', memberHashes: memberHashes(200, 'crash'), epsilonCap: 100 });
    setup.close();

    const violations: string[] = [];
    let markerCount = 0;
    let committed = 0;
    let killsDuringLoop = 0;
    let checkMs = 0;
    const pool: Pending[] = [];
    const refill = () => {
      while (pool.length < POOL) pool.push(spawnChild(fixture, temp.path, dataset.id, markers));
    };
    refill();
    for (let kill = 0; kill < KILLS; kill++) {
      const next = pool.shift()!;
      refill();
      await next.ready;
      const before = committed;
      next.child.stdin!.write('go\n');
      // One kill in five lands while the child opens the ledger (WAL recovery, first transaction); the others at a
      // random moment of the charge loop, mostly within its first commits, sometimes later.
      if (randomInt(0, 5) === 0) await sleep(randomInt(0, 15));
      else {
        await next.opened;
        await sleep(randomInt(0, 4) === 0 ? randomInt(60, 200) : randomInt(0, 60));
      }
      next.child.kill('SIGKILL');
      await next.exited;

      const checkStart = performance.now();
      const ledger = openLedger(temp.path);
      try {
        const integrity = ledger.integrityCheck();
        if (integrity.length !== 1 || integrity[0] !== 'ok') violations.push(`kill ${kill}: integrity_check ${integrity.join('; ')}`);
        const report = ledger.verify(dataset.id);
        if (!report.ok) violations.push(`kill ${kill}: verify failed: ${JSON.stringify(report.firstBadRow)}`);
        committed = report.charges;
        const released = readdirSync(markers);
        markerCount = released.length;
        for (const receipt of released) {
          if (!ledger.hasReceipt(receipt, dataset.id)) violations.push(`kill ${kill}: released marker ${receipt} has no committed charge`);
        }
      } catch (error) {
        violations.push(`kill ${kill}: ${(error as Error).message}`);
      } finally {
        ledger.close();
      }
      checkMs += performance.now() - checkStart;
      if (committed > before) killsDuringLoop++;
    }
    for (const pending of pool) pending.child.kill('SIGKILL');
    await Promise.all(pool.map((p) => p.exited));

    console.log(`crash test: ${KILLS} SIGKILLs, ${killsDuringLoop} after at least one commit of that child, ${committed} charges committed, ${markerCount} released markers, ${violations.length} violations; checks took ${(checkMs / 1000).toFixed(1)} s`);
    expect(violations).toEqual([]);
    expect(committed).toBeGreaterThanOrEqual(markerCount);
    expect(markerCount).toBeGreaterThan(0);
    expect(killsDuringLoop).toBeGreaterThanOrEqual(KILLS / 10); // most land mid-loop; a loaded machine shifts some into open
  });
});
