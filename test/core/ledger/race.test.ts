/**
 * Races (issue 3, test 2): 4 processes charge the same dataset at once against a cap that admits exactly M
 * identical charges. Exactly M are committed, every other call is refused (BudgetExceededError), none errors.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openLedger, sigmaForCost } from '../../../core/ledger/index.ts';
import { memberHashes, tempLedger } from './helpers.ts';
import { compileFixture } from './fixtures/compile.ts';

const PROCESSES = 4;
const M = 40;
const CHILD = fileURLToPath(new URL('./fixtures/race-child.ts', import.meta.url));
const CAP = 2;

/** What one such query costs, as the ledger's preview says. */
function costOf(ledger: ReturnType<typeof openLedger>, datasetId: string, query: { q: number; sigma: number; k: number }): number {
  return ledger.preview(datasetId, query).epsilonCost;
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
    const setup = openLedger(temp.path);
    const dataset = setup.createDataset({ name: 'race', memberHashes: memberHashes(1000, 'race'), epsilonCap: CAP, plannedGenerations: M });
    // a σ whose cost is a little over cap/(M + 0.5): exactly M fit
    const QUERY = { q: 0.05, k: 4, sigma: sigmaForCost(dataset.filter, { q: 0.05, k: 4 }, CAP / (M + 0.5))! };
    const cap = CAP;
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
      expect(info.cumulativeEpsilon).toBeCloseTo(M * costOf(ledger, dataset.id, QUERY), 9);
      expect(info.cumulativeEpsilon).toBeLessThanOrEqual(cap);
    } finally {
      ledger.close();
    }
  });
});
