/**
 * `npm run bench:index`: indexes N ∈ {2,000, 20,000} generated PNGs with the embedded model set and prints
 * files/s overall and per stage (scan/read/hash/decode/embed/store; per-stage figures are files ÷ summed stage
 * time across concurrent workers), the no-change re-sync time and peak RSS. Targets: ≥ 150 files/s end to end,
 * no-change re-sync of 20,000 files ≤ 2 s. Usage: tsx bench/index.bench.ts [N...] [--json] (--json: the figures as
 * one JSON object on stdout, the lines on stderr).
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { homeLayout } from '../core/paths.ts';
import sharp from 'sharp';
import { openLedger } from '../core/ledger/index.ts';
import { addDataset, openModelEmbedder, syncDataset } from '../core/datasets/index.ts';
import { emitJson, machineInfo, say } from './report.ts';

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const counts = sizes.length > 0 ? sizes : [2000, 20000];
let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);

async function generate(dir: string, n: number): Promise<void> {
  const size = 64;
  const raw = Buffer.alloc(size * size * 3);
  for (let i = 0; i < n; i++) {
    const sub = join(dir, `part-${Math.floor(i / 1000)}`);
    if (i % 1000 === 0) mkdirSync(sub, { recursive: true });
    for (let p = 0; p < size * size; p++) {
      const x = p % size;
      const y = Math.floor(p / size);
      const inside = (x - 32) ** 2 + (y - 32) ** 2 < (8 + (i % 20)) ** 2;
      raw[p * 3] = inside ? (i * 37) % 256 : (i * 11) % 256;
      raw[p * 3 + 1] = inside ? (i * 91) % 256 : 255 - ((i * 7) % 256);
      raw[p * 3 + 2] = (x * 4 + i) % 256;
    }
    // a unique corner stamp: every generated file is a distinct image (no duplicates to skip)
    raw[0] = i & 255;
    raw[1] = (i >> 8) & 255;
    raw[2] = (i >> 16) & 255;
    writeFileSync(join(sub, `gen-${i}.png`), await sharp(raw, { raw: { width: size, height: size, channels: 3 } }).png({ compressionLevel: 1 }).toBuffer());
  }
}

const embedder = await openModelEmbedder();
const runs: Record<string, unknown>[] = [];
for (const n of counts) {
  const root = mkdtempSync(join(tmpdir(), 'dprdm-bench-'));
  const folder = join(root, 'images');
  const home = join(root, 'home');
  mkdirSync(folder);
  let t = performance.now();
  await generate(folder, n);
  const genS = (performance.now() - t) / 1000;
  const ledger = openLedger(homeLayout(home).ledger);
  peakRss = 0;
  t = performance.now();
  const report = await addDataset({ folder, embedder, ledger, home, name: `bench ${n}` });
  const wall = (performance.now() - t) / 1000;
  t = performance.now();
  const resync = await syncDataset(report.datasetId, { embedder, ledger, home });
  const resyncS = (performance.now() - t) / 1000;
  const tm = report.timings;
  const rate = (ms: number) => (ms > 0 ? (n / (ms / 1000)).toFixed(0) : '∞');
  say(`N = ${n} (generated in ${genS.toFixed(1)} s)`);
  say(`  end to end: ${wall.toFixed(2)} s = ${(n / wall).toFixed(0)} files/s (target ≥ 150)`);
  say(`  per stage (files/s of summed stage time): scan ${rate(tm.scanMs)}, read ${rate(tm.readMs)}, hash ${rate(tm.hashMs)}, decode ${rate(tm.decodeMs)}, embed ${rate(tm.embedMs)}, store ${rate(tm.storeMs)}`);
  say(`  stage ms: ${JSON.stringify(Object.fromEntries(Object.entries(tm).map(([k, v]) => [k, Math.round(v)])))}`);
  say(`  no-change re-sync: ${resyncS.toFixed(3)} s (${resync.counts.unchanged} unchanged; target ≤ 2 s for 20,000)`);
  say(`  peak RSS: ${(peakRss / 1024 ** 2).toFixed(0)} MiB`);
  runs.push({ n, generateS: genS, wallS: wall, filesPerSecond: n / wall, stageMs: tm, resyncS, resyncUnchanged: resync.counts.unchanged, peakRssMiB: peakRss / 1024 ** 2 });
  ledger.close();
  rmSync(root, { recursive: true, force: true });
}
clearInterval(sampler);
await embedder.close();
emitJson({ bench: 'index', machine: machineInfo(), settings: { counts }, runs });
