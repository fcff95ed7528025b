/**
 * `npm run bench:import`: a cluster job's embeddings into the studio. Writes a Parquet file of N seeded unit rows at
 * d = 512 (list<float>, row groups of 50,000 rows, as a Ray Data job writes them; default N = 1,000,000), then
 * times the import on a fresh home: read + validate + index + ledger, (1) through the studio façade at the embedded
 * model set's dimension (`datasets.import`, what `dprdm dataset import` runs) and (2) at d = 512 below the façade
 * (the same functions; the façade refuses rows of another dimension). Prints figures (one JSON object with --json);
 * asserts nothing. BENCH_ROWS overrides N, BENCH_DIM the second dimension, BENCH_PRECISION=float32 its store precision.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileWriter, ParquetWriter } from 'hyparquet-writer';
import { createStudioService } from '../core/studio/service.ts';
import { parseRequest } from '../core/contract/contract.ts';
import { readManifest } from '../core/models/index.ts';
import { defaultModelDir, importEmbeddings, readParquetEmbeddings } from '../core/datasets/index.ts';
import { openLedger } from '../core/ledger/index.ts';
import { homeLayout } from '../core/paths.ts';
import { emitJson, machineInfo, say } from './report.ts';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const GROUP = 50_000;
const DIM = Number(process.env.BENCH_DIM ?? 512);
/** The second import's store precision (the studio's default with the embedded model set: float16). */
const PRECISION = process.env.BENCH_PRECISION === 'float32' ? 'float32' : 'float16';

function seededRows(start: number, count: number, dim: number): number[][] {
  let s = (start * 2654435761) >>> 0 || 1;
  return Array.from({ length: count }, () => {
    const v = new Array<number>(dim);
    let norm = 0;
    for (let j = 0; j < dim; j++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      v[j] = (s >>> 0) / 4294967296 - 0.5;
      norm += v[j]! * v[j]!;
    }
    const inv = 1 / Math.sqrt(norm);
    for (let j = 0; j < dim; j++) v[j]! *= inv;
    return v;
  });
}

function writeParquet(file: string, rows: number, dim: number): { seconds: number; bytes: number } {
  const t = performance.now();
  const writer = new ParquetWriter({
    writer: fileWriter(file),
    schema: [
      { name: 'root', num_children: 2 },
      { name: 'sha256', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
      { name: 'embedding', repetition_type: 'REQUIRED', converted_type: 'LIST', num_children: 1 },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      { name: 'element', type: 'FLOAT', repetition_type: 'REQUIRED' },
    ],
  });
  for (let start = 0; start < rows; start += GROUP) {
    const count = Math.min(GROUP, rows - start);
    const ids = Array.from({ length: count }, (_, i) => (start + i + 1).toString(16).padStart(64, '0'));
    writer.write({ columnData: [{ name: 'sha256', data: ids }, { name: 'embedding', data: seededRows(start, count, dim) }], rowGroupSize: GROUP });
  }
  writer.finish();
  return { seconds: (performance.now() - t) / 1000, bytes: statSync(file).size };
}

const manifest = await readManifest(defaultModelDir());
const modelDim = manifest.embedding.dim;
const work = mkdtempSync(path.join(tmpdir(), 'dprdm-bench-import-'));
const results: Record<string, unknown>[] = [];
try {
  // 1. Through the studio façade, at the embedded model set's dimension (what `dprdm dataset import` runs).
  const file = path.join(work, `embeddings-${modelDim}.parquet`);
  const written = writeParquet(file, ROWS, modelDim);
  say(`wrote ${ROWS.toLocaleString('en')} rows × ${modelDim} (list<float>, row groups of ${GROUP.toLocaleString('en')}) in ${written.seconds.toFixed(1)} s: ${(written.bytes / 2 ** 20).toFixed(0)} MiB`);
  const service = await createStudioService({ home: path.join(work, 'home') });
  try {
    const t = performance.now();
    const imported = await service.handlers['datasets.import'](parseRequest('datasets.import', { file, name: 'bench import' }), {});
    const seconds = (performance.now() - t) / 1000;
    say(`datasets.import (the façade, d = ${modelDim}): ${imported.importedRows.toLocaleString('en')} rows in ${seconds.toFixed(1)} s (${Math.round(imported.importedRows / seconds).toLocaleString('en')} rows/s)`);
    results.push({ path: 'datasets.import', rows: ROWS, dim: modelDim, parquetBytes: written.bytes, seconds, rowsPerSecond: imported.importedRows / seconds });
  } finally {
    await service.close();
  }
  rmSync(file);

  // 2. At d = 512 (a CLIP-sized model set): the same read, validation and indexing, below the façade (which refuses
  //    rows of another dimension than the embedded model set's).
  if (DIM !== modelDim) {
    const wide = path.join(work, `embeddings-${DIM}.parquet`);
    const w = writeParquet(wide, ROWS, DIM);
    say(`wrote ${ROWS.toLocaleString('en')} rows × ${DIM} in ${w.seconds.toFixed(1)} s: ${(w.bytes / 2 ** 20).toFixed(0)} MiB`);
    const home = path.join(work, 'home-512');
    const ledger = openLedger(homeLayout(home).ledger);
    try {
      const t = performance.now();
      const read = await readParquetEmbeddings(wide, { dim: DIM });
      const readS = (performance.now() - t) / 1000;
      const summary = importEmbeddings({ matrix: read, ids: read.ids, modelSet: `bench@${DIM}`, dim: DIM, home, ledger, name: 'bench import 512', precision: PRECISION });
      const seconds = (performance.now() - t) / 1000;
      say(`readParquetEmbeddings + importEmbeddings (d = ${DIM}, ${PRECISION} store): ${summary.members.toLocaleString('en')} rows in ${seconds.toFixed(1)} s (read ${readS.toFixed(1)} s; ${Math.round(summary.members / seconds).toLocaleString('en')} rows/s)`);
      results.push({ path: 'readParquetEmbeddings+importEmbeddings', rows: ROWS, dim: DIM, precision: PRECISION, parquetBytes: w.bytes, seconds, readSeconds: readS, rowsPerSecond: summary.members / seconds });
    } finally {
      ledger.close();
    }
  }
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  say(`peak RSS ${peakRssMiB.toFixed(0)} MiB`);
  emitJson({ bench: 'import', machine: machineInfo(), results, peakRssMiB });
} finally {
  rmSync(work, { recursive: true, force: true });
}
