/**
 * `npm run bench:privacy`: private query latency (Poisson subsample → exact top-k → clipped mean → noise) on seeded
 * unit vectors of d = 512, k = 20, for the studio's store (in WebAssembly memory, scored by the SIMD kernel) and,
 * in the same run, the same rows as a plain Float32Array (the scalar loop), the DP-RDM reference path (faiss, when
 * installed) and the same mask in numpy (bench/reference_retrieval.py, when python3 with numpy is there), and one exact search over all N rows (JS and
 * usearch); and the time of calibrateSigma. Prints figures; asserts nothing. BENCH_SIZES (comma-separated N)
 * overrides 10000,100000,1000000; --json prints one JSON object on stdout whose `rows` are
 * { N, d, q, k, medianMs, p95Ms, storeBytes, … } (the table then goes to stderr).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exactSearch, MetricKind } from 'usearch';
import { allocateEmbeddingMatrix, allocateResidentStore, calibrateSigma, encodeFloat16, privateAggregate, simdAvailable, type EmbeddingMatrix, type EmbeddingRows } from '../core/privacy/index.ts';
import { defaultModelDir, toNpy } from '../core/datasets/index.ts';
import { exactTopK } from '../core/privacy/exact-top-k.ts';
import { emitJson, machineInfo, say } from './report.ts';

const DIM = 512;
const K = 20;
const SIGMA = 0.05;
const sizes = (process.env.BENCH_SIZES ?? '10000,100000,1000000').split(',').map(Number);
const rates = [0.001, 0.01, 0.1];

/** xorshift32 — fine for synthetic benchmark data (bench/ is not privacy code). */
function seededUnitRows(rows: number, dim: number, seed: number, data: Float32Array<ArrayBufferLike> = new Float32Array(rows * dim)): Float32Array<ArrayBufferLike> {
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

/** The share of `exact`'s top-k that `approximate` also returns, over `queries` (each scoring `rows`). */
function topKOverlap(exact: EmbeddingMatrix | EmbeddingRows, approximate: EmbeddingRows, queries: readonly Float64Array[], rows: ArrayLike<number>, k: number): number {
  let shared = 0;
  for (const query of queries) {
    const reference = new Set(exactTopK(exact, query, rows, k));
    shared += exactTopK(approximate, query, rows, k).filter((r) => reference.has(r)).length;
  }
  return shared / (k * queries.length);
}

const fmt = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(1));
/** How many times faster ours is than a reference path ('—' where it did not run). */
const ratio = (reference: { medianMs: number } | undefined, ours: { median: number }) => (reference ? `${(reference.medianMs / ours.median).toFixed(1)}×` : '—');

type Timings = Record<string, { medianMs: number; p95Ms: number }>;
/** The reference paths on the same store and query: numpy always, DP-RDM's own (faiss) when faiss is importable;
 * undefined when python3 with numpy is not there. */
function referencePath(data: Float32Array, n: number, query: number[]): { numpy: Timings; dprdm: Timings | null } | undefined {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dprdm-bench-ref-'));
  try {
    writeFileSync(path.join(dir, 'store.npy'), toNpy(data, n, DIM));
    writeFileSync(path.join(dir, 'query.npy'), toNpy(Float32Array.from(query), 1, DIM));
    const script = fileURLToPath(new URL('reference_retrieval.py', import.meta.url));
    const run = spawnSync(process.env.PYTHON ?? 'python3', [script, path.join(dir, 'store.npy'), path.join(dir, 'query.npy'), String(K), rates.join(','), n >= 1_000_000 ? '30' : '100'], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' } });
    return run.status === 0 ? (JSON.parse(run.stdout) as { numpy: Timings; dprdm: Timings | null }) : undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

say(`# privacy benchmark — ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`);
say(`d = ${DIM}, k = ${K}, σ = ${SIGMA}; the studio's store scored by the SIMD kernel: ${simdAvailable() ? 'yes' : 'no (this runtime has no WebAssembly SIMD)'}; reference paths single-threaded (DP-RDM's: a rand(N) < q mask and faiss IDSelectorBatch over IndexFlatIP; numpy: the same mask, gather + matvec)\n`);
const rows: Record<string, number | string | null>[] = [];
say('| N | store | MiB | q | private median ms (SIMD) | p95 ms | scalar store median ms | DP-RDM (faiss) median ms | vs DP-RDM | numpy median ms | vs numpy | full exact (JS) ms | full exact (usearch) ms |');
say('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
const agreement: Record<string, number>[] = [];
for (const n of sizes) {
  const store: EmbeddingMatrix = allocateEmbeddingMatrix(n, DIM);
  seededUnitRows(n, DIM, 12345 + n, store.data);
  const half = allocateResidentStore(n, DIM, 'float16');
  encodeFloat16(store.data, half.values as Uint16Array);
  const scalarStore: EmbeddingMatrix = { data: Float32Array.from(store.data), rows: n, dim: DIM };
  const query = Array.from(seededUnitRows(1, DIM, 99));
  const queryF64 = Float64Array.from(query);
  const all = Uint32Array.from({ length: n }, (_, i) => i);
  const fullRepeats = n >= 1_000_000 ? 5 : 15;
  const fullJs = time(() => void exactTopK(scalarStore, queryF64, all, K), fullRepeats);
  const queryF32 = Float32Array.from(query);
  const fullUsearch = time(() => void exactSearch(scalarStore.data, queryF32, DIM, K, MetricKind.IP, 1), fullRepeats);
  const reference = referencePath(scalarStore.data, n, query);
  for (const q of rates) {
    const repeats = Math.max(30, Math.min(300, Math.floor(2e8 / (n * q * DIM + 1e5))));
    const measure = (s: EmbeddingMatrix | EmbeddingRows) => {
      for (let i = 0; i < 5; i++) privateAggregate(query, s, { k: K, q, sigma: SIGMA }); // warm-up
      return time(() => void privateAggregate(query, s, { k: K, q, sigma: SIGMA }), repeats);
    };
    const priv = measure(store);
    const halfPriv = measure(half);
    const scalar = measure(scalarStore);
    const ref = reference?.numpy[String(q)];
    const dprdm = reference?.dprdm?.[String(q)];
    rows.push({
      N: n,
      d: DIM,
      q,
      k: K,
      precision: 'float32',
      medianMs: priv.median,
      p95Ms: priv.p95,
      storeBytes: store.data.byteLength,
      scalarMedianMs: scalar.median,
      scalarP95Ms: scalar.p95,
      referenceMedianMs: ref?.medianMs ?? null,
      referenceP95Ms: ref?.p95Ms ?? null,
      dprdmMedianMs: dprdm?.medianMs ?? null,
      dprdmP95Ms: dprdm?.p95Ms ?? null,
      fullJsMs: fullJs.median,
      fullUsearchMs: fullUsearch.median,
    });
    rows.push({ N: n, d: DIM, q, k: K, precision: 'float16', medianMs: halfPriv.median, p95Ms: halfPriv.p95, storeBytes: half.bytes.byteLength, referenceMedianMs: ref?.medianMs ?? null, dprdmMedianMs: dprdm?.medianMs ?? null });
    say(
      `| ${n.toLocaleString('en')} | float32 | ${(store.data.byteLength / 2 ** 20).toFixed(0)} | ${q} | ${fmt(priv.median)} | ${fmt(priv.p95)} | ${fmt(scalar.median)} | ${dprdm ? fmt(dprdm.medianMs) : '—'} | ${ratio(dprdm, priv)} | ${ref ? fmt(ref.medianMs) : '—'} | ${ratio(ref, priv)} | ${fmt(fullJs.median)} | ${fmt(fullUsearch.median)} |`,
    );
    say(`| ${n.toLocaleString('en')} | float16 | ${(half.bytes.byteLength / 2 ** 20).toFixed(0)} | ${q} | ${fmt(halfPriv.median)} | ${fmt(halfPriv.p95)} | | | ${ratio(dprdm, halfPriv)} | | ${ratio(ref, halfPriv)} | | |`);
  }
  // float16 against float32: the exact top-k of the same subsample-sized row sets, for 20 queries
  const subsample = Uint32Array.from({ length: Math.min(n, 100_000) }, (_, i) => Math.floor((i * n) / Math.min(n, 100_000)));
  const queries = Array.from({ length: 20 }, (_, t) => Float64Array.from(seededUnitRows(1, DIM, 500 + t)));
  agreement.push({ N: n, scoredRows: subsample.length, k: K, queries: queries.length, topKOverlap: topKOverlap(store, half, queries, subsample, K) });
}
// The same on real embeddings: the embedded model set's public set, 3,000 rows as the store and the other 1,000 as queries.
const modelSetAgreement: Record<string, number>[] = [];
{
  const raw = readFileSync(path.join(defaultModelDir(), 'public-retrieval.f32'));
  const dim = 64;
  const all = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  const total = all.length / dim;
  const rowsInStore = Math.min(3000, total - 1);
  const f32 = allocateResidentStore(rowsInStore, dim, 'float32');
  (f32.values as Float32Array).set(all.subarray(0, rowsInStore * dim));
  const f16 = allocateResidentStore(rowsInStore, dim, 'float16');
  encodeFloat16(all.subarray(0, rowsInStore * dim), f16.values as Uint16Array);
  const every = Array.from({ length: rowsInStore }, (_, i) => i);
  for (const k of [8, 32, 64]) {
    const queries = Array.from({ length: total - rowsInStore }, (_, t) => Float64Array.from(all.subarray((rowsInStore + t) * dim, (rowsInStore + t + 1) * dim)));
    modelSetAgreement.push({ k, queries: queries.length, storeRows: rowsInStore, topKOverlap: topKOverlap(f32, f16, queries, every, k) });
  }
}
for (const a of modelSetAgreement) say(`float16 vs float32 on the embedded model set's public embeddings (${a.storeRows} rows, ${a.queries} queries): top-${a.k} overlap ${(100 * a.topKOverlap!).toFixed(2)} %`);
for (const a of agreement) say(`float16 vs float32, N = ${a.N!.toLocaleString('en')}: top-${K} overlap ${(100 * a.topKOverlap!).toFixed(2)} % over ${a.queries} queries of ${a.scoredRows!.toLocaleString('en')} rows`);

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
  float16Agreement: agreement,
  float16AgreementModelSet: modelSetAgreement,
  calibrateSigma: [
    { q: 0.01, k: 20, queries: 10_000, delta: 1.2e-5, epsilon: 10, medianMs: calibration.median, p95Ms: calibration.p95 },
    { q: 0.001, k: 20, queries: 100_000, delta: 1e-6, epsilon: 1, medianMs: calibration2.median, p95Ms: calibration2.p95 },
  ],
  peakRssMiB: process.resourceUsage().maxRSS / 1024,
});
