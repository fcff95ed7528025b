/**
 * `npm run bench:scale`: collections past the JS heap. Builds (once; cached in BENCH_SCALE_CACHE, default
 * <tmp>/dprdm-scale-cache) an imported dataset index of seeded unit rows in float16 — 10,000,000 rows at the embedded
 * model's dimension (64) and 2,000,000 rows at d = 512 — then, in a fresh process per store, opens it through the
 * private path's own loader (loadPrivateStore: member digest and row list, the ledger-fingerprint check, StoredRows)
 * and reports the time from opening to the end of the first private query, the median and p95 of the next queries
 * (q = 0.001, k = 20) while rows are read by range, when the store is held whole (the background read of
 * StoredRows, where it is under residentLimitBytes) and the queries after that, and the process's peak RSS. BENCH_SCALE (comma-separated N×d, e.g. 10000000x64) overrides the
 * stores. Prints figures; asserts nothing; --json prints one JSON object on stdout.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IndexStore } from '../core/datasets/store.ts';
import { loadPrivateStore } from '../core/datasets/index.ts';
import { homeLayout } from '../core/paths.ts';
import { privateAggregate } from '../core/privacy/index.ts';
import { emitJson, machineInfo, say } from './report.ts';

const K = 20;
const Q = 0.001;
const SIGMA = 0.05;
const QUERIES = 50;
const BATCH = 100_000;
const cache = process.env.BENCH_SCALE_CACHE ?? path.join(os.tmpdir(), 'dprdm-scale-cache');
const stores = (process.env.BENCH_SCALE ?? '10000000x64,2000000x512').split(',').map((s) => s.split('x').map(Number) as [number, number]);

function unitRows(rows: number, dim: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const data = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    let norm = 0;
    for (let j = 0; j < dim; j++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      const v = (s >>> 0) / 4294967296 - 0.5;
      data[r * dim + j] = v;
      norm += v * v;
    }
    const inv = 1 / Math.sqrt(norm);
    for (let j = 0; j < dim; j++) data[r * dim + j]! *= inv;
  }
  return data;
}

const idOf = (n: number, dim: number) => `ds_${createHash('sha256').update(`scale-${n}x${dim}`).digest('hex').slice(0, 16)}`;

/** The store's home and the fingerprint a ledger would hold for it (built on first use). */
function build(n: number, dim: number): { home: string; datasetId: string; fingerprint: string; buildSeconds: number } {
  const home = path.join(cache, `${n}x${dim}`);
  const datasetId = idOf(n, dim);
  const doneFile = path.join(home, 'built.json');
  if (existsSync(doneFile)) return { home, datasetId, ...(JSON.parse(readFileSync(doneFile, 'utf8')) as { fingerprint: string; buildSeconds: number }) };
  rmSync(home, { recursive: true, force: true });
  mkdirSync(homeLayout(home).datasets, { recursive: true });
  const started = performance.now();
  const store = IndexStore.create(path.join(homeLayout(home).datasets, datasetId), { kind: 'import', name: `scale ${n}`, root: '', modelSet: 'bench@1', dim, datasetId, epsilonCap: 10, delta: 1e-8, createdAt: new Date().toISOString(), precision: 'float16' });
  try {
    for (let first = 0; first < n; first += BATCH) {
      const rows = Math.min(BATCH, n - first);
      const hashes = Array.from({ length: rows }, (_, i) => createHash('sha256').update(`row-${first + i}`).digest('hex'));
      store.appendEmbeddings(hashes, unitRows(rows, dim, 7 + first), []);
      store.recordImported(hashes.map((sha256, i) => ({ id: `r${first + i}`, sha256 })));
      if ((first / BATCH) % 10 === 0) say(`  building ${n.toLocaleString('en')}×${dim}: ${(first + rows).toLocaleString('en')} rows, ${((performance.now() - started) / 1000).toFixed(0)} s`);
    }
    const { fingerprint } = store.memberDigest();
    const buildSeconds = (performance.now() - started) / 1000;
    writeFileSync(doneFile, JSON.stringify({ fingerprint, buildSeconds }));
    return { home, datasetId, fingerprint, buildSeconds };
  } finally {
    store.close();
  }
}

/** In a fresh process: open through the private loader, first query, then QUERIES more. */
async function measure(home: string, datasetId: string, fingerprint: string): Promise<void> {
  const query = Array.from(unitRows(1, Number(process.env.BENCH_SCALE_DIM), 99));
  const started = performance.now();
  const store = loadPrivateStore(datasetId, { home, accountedFingerprint: fingerprint });
  const openMs = performance.now() - started;
  privateAggregate(query, store.rows, { k: K, q: Q, sigma: SIGMA });
  const firstQueryMs = performance.now() - started;
  const timed = () => {
    const samples: number[] = [];
    for (let i = 0; i < QUERIES; i++) {
      const t = performance.now();
      privateAggregate(query, store.rows, { k: K, q: Q, sigma: SIGMA });
      samples.push(performance.now() - t);
    }
    samples.sort((a, b) => a - b);
    return { median: samples[Math.floor(samples.length / 2)]!, p95: samples[Math.min(samples.length - 1, Math.floor(samples.length * 0.95))]! };
  };
  const byRange = timed(); // before the background read has had a turn of the event loop: rows read by range
  await store.rows.ready();
  const residentMs = performance.now() - started;
  const resident = store.rows.isResident;
  const held = timed();
  const result = {
    openMs,
    firstQueryMs,
    byRangeMedianMs: byRange.median,
    byRangeP95Ms: byRange.p95,
    resident,
    residentAfterMs: resident ? residentMs : null,
    medianMs: held.median,
    p95Ms: held.p95,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
  store.close?.();
  process.stdout.write(JSON.stringify(result));
}

if (process.env.BENCH_SCALE_MEASURE) {
  const [home, datasetId, fingerprint] = process.env.BENCH_SCALE_MEASURE.split('\n') as [string, string, string];
  await measure(home, datasetId, fingerprint);
} else {
  say(`# scale benchmark — ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; float16 stores, q = ${Q}, k = ${K}; cache ${cache}\n`);
  const rows: Record<string, number | boolean | string | null>[] = [];
  for (const [n, dim] of stores) {
    const built = build(n, dim);
    const run = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
      encoding: 'utf8',
      env: { ...process.env, BENCH_SCALE_MEASURE: `${built.home}\n${built.datasetId}\n${built.fingerprint}`, BENCH_SCALE_DIM: String(dim) },
    });
    if (run.status !== 0) throw new Error(`measuring ${n}×${dim} failed: ${run.stderr}`);
    const m = JSON.parse(run.stdout) as Record<string, number | boolean | null>;
    rows.push({ N: n, d: dim, q: Q, k: K, precision: 'float16', storeBytes: n * dim * 2, buildSeconds: built.buildSeconds, ...m });
    say(
      `${n.toLocaleString('en')} × ${dim} (${((n * dim * 2) / 2 ** 30).toFixed(2)} GiB on disk): open ${(m.openMs as number).toFixed(0)} ms, open → first query done ${(m.firstQueryMs as number).toFixed(0)} ms; ` +
        `rows read by range: median ${(m.byRangeMedianMs as number).toFixed(2)} ms, p95 ${(m.byRangeP95Ms as number).toFixed(2)} ms; ` +
        (m.resident ? `held whole ${((m.residentAfterMs as number) / 1000).toFixed(1)} s after opening: median ${(m.medianMs as number).toFixed(2)} ms, p95 ${(m.p95Ms as number).toFixed(2)} ms` : 'not held whole (over the limit)') +
        `; peak RSS ${(m.peakRssMiB as number).toFixed(0)} MiB`,
    );
  }
  emitJson({ bench: 'scale', machine: machineInfo(), rows });
}
