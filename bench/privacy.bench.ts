/**
 * `npm run bench:privacy`: private query latency (Poisson subsample → exact top-k → clipped mean → noise) against
 * one exact top-k over all N rows, on seeded unit vectors of d = 512, k = 20; and the time of calibrateSigma.
 * Prints figures; asserts nothing. BENCH_SIZES (comma-separated N) overrides 10000,100000,1000000; --json prints
 * the figures as one JSON object on stdout (the table then goes to stderr).
 */
import os from 'node:os';
import { exactSearch, MetricKind } from 'usearch';
import { calibrateSigma, privateAggregate, type EmbeddingMatrix } from '../core/privacy/index.ts';
import { exactTopK } from '../core/privacy/exact-top-k.ts';
import { emitJson, machineInfo, say } from './report.ts';

const DIM = 512;
const K = 20;
const SIGMA = 0.05;
const sizes = (process.env.BENCH_SIZES ?? '10000,100000,1000000').split(',').map(Number);
const rates = [0.001, 0.01, 0.1];

/** xorshift32 — fine for synthetic benchmark data (bench/ is not privacy code). */
function seededUnitRows(rows: number, dim: number, seed: number): Float32Array {
  const data = new Float32Array(rows * dim);
  let s = seed >>> 0 || 1;
  for (let r = 0; r < rows; r++) {
    let norm = 0;
    const o = r * dim;
    for (let j = 0; j < dim; j++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      const v = (s >>> 0) / 4294967296 - 0.5;
      data[o + j] = v;
      norm += v * v;
    }
    const inv = 1 / Math.sqrt(norm);
    for (let j = 0; j < dim; j++) data[o + j]! *= inv;
  }
  return data;
}

function quantile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function time(fn: () => void, repeats: number): { median: number; p95: number } {
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return { median: quantile(samples, 0.5), p95: quantile(samples, 0.95) };
}

const fmt = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(1));
say(`# privacy benchmark — ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`);
say(`d = ${DIM}, k = ${K}, σ = ${SIGMA}\n`);
const rows: Record<string, number>[] = [];
say('| N | store MiB | q | private median ms | private p95 ms | full exact top-k (JS) ms | full exact (usearch) ms | speed-up vs JS | speed-up vs usearch |');
say('|---|---|---|---|---|---|---|---|---|');
for (const n of sizes) {
  const data = seededUnitRows(n, DIM, 12345 + n);
  const store: EmbeddingMatrix = { data, rows: n, dim: DIM };
  const query = Array.from(seededUnitRows(1, DIM, 99));
  const queryF64 = Float64Array.from(query);
  const all = Uint32Array.from({ length: n }, (_, i) => i);
  const fullRepeats = n >= 1_000_000 ? 5 : 15;
  const fullJs = time(() => void exactTopK(store, queryF64, all, K), fullRepeats);
  const queryF32 = Float32Array.from(query);
  const fullUsearch = time(() => void exactSearch(data, queryF32, DIM, K, MetricKind.IP, 1), fullRepeats);
  for (const q of rates) {
    for (let i = 0; i < 5; i++) privateAggregate(query, store, { k: K, q, sigma: SIGMA }); // warm-up
    const repeats = Math.max(30, Math.min(300, Math.floor(2e8 / (n * q * DIM + 1e5))));
    const priv = time(() => void privateAggregate(query, store, { k: K, q, sigma: SIGMA }), repeats);
    rows.push({ n, storeMiB: data.byteLength / 2 ** 20, q, privateMedianMs: priv.median, privateP95Ms: priv.p95, fullJsMs: fullJs.median, fullUsearchMs: fullUsearch.median });
    say(
      `| ${n.toLocaleString('en')} | ${(data.byteLength / 2 ** 20).toFixed(0)} | ${q} | ${fmt(priv.median)} | ${fmt(priv.p95)} | ${fmt(fullJs.median)} | ${fmt(fullUsearch.median)} | ${(fullJs.median / priv.median).toFixed(1)}× | ${(fullUsearch.median / priv.median).toFixed(1)}× |`,
    );
  }
}

const calibration = time(() => void calibrateSigma({ q: 0.01, k: 20, queries: 10_000, delta: 1.2e-5, epsilon: 10 }), 20);
const calibration2 = time(() => void calibrateSigma({ q: 0.001, k: 20, queries: 100_000, delta: 1e-6, epsilon: 1 }), 20);
say(`\ncalibrateSigma (q=0.01, k=20, T=10000, δ=1.2e-5, ε=10): median ${fmt(calibration.median)} ms, p95 ${fmt(calibration.p95)} ms`);
say(`calibrateSigma (q=0.001, k=20, T=100000, δ=1e-6, ε=1): median ${fmt(calibration2.median)} ms, p95 ${fmt(calibration2.p95)} ms`);
say(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
emitJson({
  bench: 'privacy',
  machine: machineInfo(),
  settings: { dim: DIM, k: K, sigma: SIGMA, sizes, rates },
  rows,
  calibrateSigma: [
    { q: 0.01, k: 20, queries: 10_000, delta: 1.2e-5, epsilon: 10, medianMs: calibration.median, p95Ms: calibration.p95 },
    { q: 0.001, k: 20, queries: 100_000, delta: 1e-6, epsilon: 1, medianMs: calibration2.median, p95Ms: calibration2.p95 },
  ],
  peakRssMiB: process.resourceUsage().maxRSS / 1024,
});
