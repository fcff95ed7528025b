import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.ts';

describe('dprdm smoke', () => {
  it('runs the studio end to end on a fresh home and prints one JSON line of what it did and how long it took', { timeout: 120_000 }, async () => {
    const r = await runCli(['smoke', '--json']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const report = JSON.parse(r.stdout) as { ok: boolean; steps: { step: string; ms: number }[]; images: number; exported: number; ledgerVerified: boolean };
    expect(report).toMatchObject({ ok: true, images: 2, exported: 2, ledgerVerified: true });
    expect(report.steps.map((s) => s.step)).toEqual(['open', 'index-demo', 'generate-public', 'generate-private', 'export', 'verify-ledger']);
    for (const s of report.steps) expect(s.ms).toBeGreaterThanOrEqual(0);
  });

  it('refuses unknown flags with exit 2', async () => {
    expect((await runCli(['smoke', '--bogus'])).code).toBe(2);
  });
});
