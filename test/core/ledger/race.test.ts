/**
 * Races (issue 3, test 2): 4 processes charge the same dataset at once against a cap that admits exactly M
 * identical charges. Exactly M are committed, every other call is refused (BudgetExceededError), none errors.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_ORDERS, epsilonFromRdp, queryRdp } from '../../../core/privacy/index.ts';
import { openLedger } from '../../../core/ledger/index.ts';
import { memberHashes, tempLedger } from './helpers.ts';
import { compileFixture } from './fixtures/compile.ts';

const PROCESSES = 4;
const M = 40;
const CHILD = fileURLToPath(new URL('./fixtures/race-child.ts', import.meta.url));
const QUERY = { q: 0.05, sigma: 1.2, k: 4 };
const DELTA = 1e-6;

/** ε after n identical charges, summed order by order exactly as the ledger does. */
function epsilonAfter(n: number): number {
  const rdp = queryRdp(QUERY, DEFAULT_ORDERS);
  const total = new Array<number>(rdp.length).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < rdp.length; j++) total[j]! += rdp[j]!;
  return epsilonFromRdp(total, DEFAULT_ORDERS, DELTA).epsilon;
}

interface ChildResult {
  admitted: string[];
  refused: number;
  errors: string[];
}

describe('ledger under concurrent writers', () => {
  const temp = tempLedger('dprdm-race-');
  const fixture = compileFixture(CHILD);
  afterAll(() => {
    temp.cleanup();
    fixture.cleanup();
  });

  it(`${PROCESSES} processes racing admit exactly M = ${M} charges and refuse the rest`, { timeout: 120_000 }, async () => {
    const cap = (epsilonAfter(M) + epsilonAfter(M + 1)) / 2;
    expect(epsilonAfter(M)).toBeLessThan(cap);
    const setup = openLedger(temp.path);
    const dataset = setup.createDataset({ name: 'race', memberHashes: memberHashes(1000, 'race'), epsilonCap: cap, delta: DELTA });
    expect(setup.preview(dataset.id, QUERY).identicalQueriesThatFit).toBe(M);
    setup.close();

    const attempts = M; // 4·M attempts in all: M admitted, 3·M refused
    const children = Array.from({ length: PROCESSES }, () =>
      spawn(process.execPath, [...fixture.args, temp.path, dataset.id, String(attempts), JSON.stringify(QUERY)], { stdio: ['pipe', 'pipe', 'pipe'] }),
    );
    const outputs = children.map((child) => {
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const ready = new Promise<void>((resolve) => {
        const check = () => (stdout.includes('ready\n') ? resolve() : undefined);
        child.stdout.on('data', check);
      });
      const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
      return { ready, done };
    });
    await Promise.all(outputs.map((o) => o.ready));
    const start = Date.now() + 150; // every child spins until this moment, then charges as fast as it can
    for (const child of children) child.stdin.write(`go ${start}\n`);
    const finished = await Promise.all(outputs.map((o) => o.done));

    const results: ChildResult[] = finished.map((f) => {
      expect(f.code, f.stderr).toBe(0);
      return JSON.parse(f.stdout.split('\n').filter((line) => line.startsWith('{'))[0]!) as ChildResult;
    });
    const admitted = results.flatMap((r) => r.admitted);
    const refused = results.reduce((sum, r) => sum + r.refused, 0);
    const errors = results.flatMap((r) => r.errors);
    console.log(`race test: ${PROCESSES} processes, admitted per process ${results.map((r) => r.admitted.length).join('/')}, ${refused} refused, ${errors.length} errors`);
    expect(errors).toEqual([]);
    expect(admitted).toHaveLength(M);
    expect(new Set(admitted).size).toBe(M);
    expect(refused).toBe(PROCESSES * attempts - M);

    const ledger = openLedger(temp.path);
    try {
      const report = ledger.verify(dataset.id);
      expect(report.ok).toBe(true);
      expect(report.charges).toBe(M);
      expect(ledger.charges(dataset.id).map((c) => c.receiptId).sort()).toEqual([...admitted].sort());
      const info = ledger.getDataset(dataset.id);
      expect(info.cumulativeEpsilon).toBe(epsilonAfter(M));
      expect(info.cumulativeEpsilon).toBeLessThanOrEqual(cap);
    } finally {
      ledger.close();
    }
  });
});
