import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { calibrateSigma, epsilon } from '../../../core/privacy/index.ts';
import { runCli } from './run-cli.ts';

describe('dprdm privacy epsilon', () => {
  it('prints one JSON object with epsilon, order and noiseMultiplier', async () => {
    const { code, stdout, stderr } = await runCli('privacy epsilon --q 0.01 --sigma 0.2 --k 18 --queries 1000 --delta 1e-7 --json'.split(' '));
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const out = JSON.parse(stdout);
    expect(Object.keys(out).sort()).toEqual(['epsilon', 'noiseMultiplier', 'order']);
    const direct = epsilon({ q: 0.01, sigma: 0.2, k: 18, queries: 1000, delta: 1e-7 });
    expect(out.epsilon).toBe(direct.epsilon);
    expect(out.order).toBe(direct.order);
    expect(out.noiseMultiplier).toBeCloseTo(1.8, 12);
  });

  it('honours --orders integer and --conversion classic', async () => {
    const { stdout } = await runCli('privacy epsilon --q 0.01 --sigma 0.2 --k 18 --queries 1000 --delta 1e-7 --orders integer --conversion classic --json'.split(' '));
    const direct = epsilon({ q: 0.01, sigma: 0.2, k: 18, queries: 1000, delta: 1e-7, orders: 'integer', conversion: 'classic' });
    expect(JSON.parse(stdout).epsilon).toBe(direct.epsilon);
    expect(Number.isInteger(JSON.parse(stdout).order)).toBe(true);
  });

  it('explains itself without --json', async () => {
    const { code, stdout } = await runCli('privacy epsilon --q 0.01 --sigma 0.2 --k 18 --queries 1000 --delta 1e-7'.split(' '));
    expect(code).toBe(0);
    expect(stdout).toMatch(/ε = /);
    expect(stdout).toMatch(/noise multiplier/);
    expect(stdout).toMatch(/order/);
    expect(stdout).toMatch(/Assumptions/);
  });
});

describe('dprdm privacy sigma', () => {
  it('prints {"sigma","epsilon"} with ε ≤ the target', async () => {
    const { code, stdout } = await runCli('privacy sigma --q 0.01 --k 20 --queries 10000 --delta 1.2e-5 --epsilon 10 --json'.split(' '));
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(Object.keys(out).sort()).toEqual(['epsilon', 'sigma']);
    expect(out.epsilon).toBeLessThanOrEqual(10);
    expect(out.sigma).toBe(calibrateSigma({ q: 0.01, k: 20, queries: 10000, delta: 1.2e-5, epsilon: 10 }).sigma);
  });
});

describe('bad arguments exit 2 with one line on stderr', () => {
  const cases = [
    'privacy epsilon --q 0.01 --sigma 0.2 --k 18 --queries 1000',
    'privacy epsilon --q 2 --sigma 0.2 --k 18 --queries 1000 --delta 1e-7',
    'privacy epsilon --q abc --sigma 0.2 --k 18 --queries 1000 --delta 1e-7',
    'privacy epsilon --q 0.01 --sigma -1 --k 18 --queries 1000 --delta 1e-7',
    'privacy epsilon --q 0.01 --sigma 0.2 --k 1.5 --queries 1000 --delta 1e-7',
    'privacy epsilon --q 0.01 --sigma 0.2 --k 18 --queries 10.5 --delta 1e-7',
    'privacy epsilon --q 0.01 --sigma 0.2 --k 18 --queries 1000 --delta 1e-7 --orders odd',
    'privacy epsilon --q 0.01 --sigma 0.2 --k 18 --queries 1000 --delta 1e-7 --bogus',
    'privacy epsilon --q 0.01 --sigma 0.2 --k 18 --queries 1000 --delta 1e-7 extra',
    'privacy sigma --q 0.01 --k 20 --queries 10000 --delta 1.2e-5 --epsilon 1e-9',
    'privacy nothing',
    'nothing',
  ];
  for (const line of cases) {
    it(line, async () => {
      const { code, stdout, stderr } = await runCli(line.split(' '));
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(/^dprdm: /);
    });
  }
});

describe('the installed bin', () => {
  it('npx --no-install dprdm runs from the repository root', () => {
    const out = execFileSync('npx', ['--no-install', 'dprdm', 'privacy', 'epsilon', '--q', '0.01', '--sigma', '0.2', '--k', '18', '--queries', '1000', '--delta', '1e-7', '--json'], {
      encoding: 'utf8',
    });
    expect(JSON.parse(out).noiseMultiplier).toBeCloseTo(1.8, 12);
  });

  it('exits with status 2 on bad input', () => {
    const result = spawnSync(process.execPath, ['bin/dprdm.js', 'privacy', 'epsilon', '--q', 'x'], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
});
