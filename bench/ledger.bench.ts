/**
 * `npm run bench:ledger`: how long a ledger charge takes (BEGIN IMMEDIATE → Rényi filter over 155 orders → hash-chained
 * insert → COMMIT with synchronous=FULL in WAL mode), median over 1,000 charges; also preview, the RDP computation
 * alone, and a full verify of the 1,000-row chain. Prints figures; asserts nothing. BENCH_CHARGES overrides 1000;
 * --json prints the figures as one JSON object on stdout (the lines then go to stderr).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { DEFAULT_ORDERS, queryRdp } from '../core/privacy/index.ts';
import { openLedger } from '../core/ledger/index.ts';
import { emitJson, machineInfo, quantile, say } from './report.ts';

const CHARGES = Number(process.env.BENCH_CHARGES ?? 1000);
const dir = mkdtempSync(join(process.env.BENCH_DIR ?? os.tmpdir(), 'dprdm-ledger-bench-'));

function summary(times: number[]): string {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  return `median ${at(0.5).toFixed(3)} ms, p10 ${at(0.1).toFixed(3)} ms, p90 ${at(0.9).toFixed(3)} ms, max ${sorted[sorted.length - 1]!.toFixed(3)} ms`;
}

/** The same figures for --json (p95 added). */
function figures(times: number[]): { medianMs: number; p10Ms: number; p90Ms: number; p95Ms: number; maxMs: number; n: number } {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  return { medianMs: at(0.5), p10Ms: at(0.1), p90Ms: at(0.9), p95Ms: quantile(sorted, 0.95), maxMs: sorted[sorted.length - 1]!, n: sorted.length };
}

try {
  const ledger = openLedger(join(dir, 'ledger.sqlite'));
  const members = Array.from({ length: 10_000 }, (_, i) => createHash('sha256').update(`bench-${i}`).digest('hex'));
  const dataset = ledger.createDataset({ name: 'bench', memberHashes: members, epsilonCap: 100 });
  const kinds = [
    { q: 0.001, sigma: 8, k: 10 },
    { q: 0.002, sigma: 12, k: 5 },
    { q: 0.0005, sigma: 6, k: 20 },
  ];
  for (let i = 0; i < 20; i++) ledger.preview(dataset.id, kinds[i % 3]!); // warm up the JIT

  const rdpTimes: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    queryRdp(kinds[i % 3]!, DEFAULT_ORDERS);
    rdpTimes.push(performance.now() - t);
  }
  const previewTimes: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    ledger.preview(dataset.id, kinds[i % 3]!);
    previewTimes.push(performance.now() - t);
  }
  const chargeTimes: number[] = [];
  for (let i = 0; i < CHARGES; i++) {
    const t = performance.now();
    ledger.charge(dataset.id, { ...kinds[i % 3]!, purpose: `benchmark prompt ${i}` });
    chargeTimes.push(performance.now() - t);
  }
  const t = performance.now();
  const report = ledger.verify(dataset.id);
  const verifyMs = performance.now() - t;
  ledger.close();

  say(`ledger benchmark (${os.cpus()[0]?.model ?? 'cpu'}, ${os.cpus().length} cores, Node ${process.version}, file in ${dir})`);
  say(`  charge ×${CHARGES} (WAL, synchronous=FULL, ${DEFAULT_ORDERS.length} orders): ${summary(chargeTimes)}`);
  say(`  preview ×200: ${summary(previewTimes)}`);
  say(`  queryRdp alone ×200: ${summary(rdpTimes)}`);
  say(`  verify of ${report.charges} charges: ${verifyMs.toFixed(1)} ms (${report.ok ? 'ok' : 'FAILED'})`);
  emitJson({
    bench: 'ledger',
    machine: machineInfo(),
    settings: { charges: CHARGES, orders: DEFAULT_ORDERS.length, members: 10_000 },
    charge: figures(chargeTimes),
    preview: figures(previewTimes),
    queryRdp: figures(rdpTimes),
    verify: { charges: report.charges, ms: verifyMs, ok: report.ok },
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
