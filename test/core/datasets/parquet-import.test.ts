// Embeddings from a cluster job: Parquet files of (id, embedding) rows, written here with hyparquet-writer, read
// row group by row group, validated like every import, and indexed through the studio façade (`dprdm dataset import`).
import { getEventListeners } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileMetaData } from 'hyparquet';
import { readParquetEmbeddings } from '../../../core/datasets/index.ts';
import { DatasetInputError } from '../../../core/datasets/errors.ts';
import { splitRowGroups } from '../../../core/datasets/parquet-import.ts';
import { runCli } from '../cli/run-cli.ts';
import { tempDir } from './helpers.ts';

const DIM = 64; // the embedded model set's dimension

function unitRows(rows: number, dim: number, seed: number): number[][] {
  let s = seed;
  const next = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) - 0.5;
  return Array.from({ length: rows }, () => {
    const v = Array.from({ length: dim }, next);
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  });
}

function listSchema(element: 'FLOAT' | 'DOUBLE') {
  return [
    { name: 'root', num_children: 2 },
    { name: 'sha256', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
    { name: 'embedding', repetition_type: 'REQUIRED', converted_type: 'LIST', num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    { name: 'element', type: element, repetition_type: 'REQUIRED' },
  ] as const;
}

function writeParquet(file: string, ids: string[], embeddings: number[][], options: { element?: 'FLOAT' | 'DOUBLE'; binary?: boolean; rowGroupSize?: number } = {}): void {
  const columnData = options.binary
    ? [
        { name: 'sha256', data: ids, type: 'STRING' as const },
        { name: 'embedding', data: embeddings.map((e) => new Uint8Array(Float32Array.from(e).buffer)), type: 'BYTE_ARRAY' as const },
      ]
    : [
        { name: 'sha256', data: ids },
        { name: 'embedding', data: embeddings },
      ];
  const buffer = parquetWriteBuffer({ columnData, ...(options.binary ? {} : { schema: listSchema(options.element ?? 'FLOAT') as never }), rowGroupSize: options.rowGroupSize ?? 1000 });
  writeFileSync(file, Buffer.from(buffer));
}

const hashOf = (i: number) => i.toString(16).padStart(64, '0');

describe('Parquet import', () => {
  let dir: string;
  let home: string;
  const previous = process.env.DPRDM_HOME;
  beforeAll(() => {
    dir = tempDir('dprdm-parquet-');
    home = tempDir('dprdm-parquet-home-');
    process.env.DPRDM_HOME = home;
  });
  afterAll(() => {
    if (previous === undefined) delete process.env.DPRDM_HOME;
    else process.env.DPRDM_HOME = previous;
  });

  it('reads list-of-float, list-of-double and binary float32 columns across row groups, with progress', async () => {
    const embeddings = unitRows(250, DIM, 1);
    const ids = embeddings.map((_, i) => hashOf(i));
    for (const [name, options] of [['float.parquet', { element: 'FLOAT' }], ['double.parquet', { element: 'DOUBLE' }], ['binary.parquet', { binary: true }]] as const) {
      const file = join(dir, name);
      writeParquet(file, ids, embeddings, { ...options, rowGroupSize: 100 });
      const progress: number[] = [];
      const read = await readParquetEmbeddings(file, { dim: DIM, onProgress: (done) => progress.push(done) });
      expect(read).toMatchObject({ rows: 250, cols: DIM });
      expect(read.ids).toEqual(ids);
      expect(progress).toEqual([100, 200, 250]);
      for (const r of [0, 123, 249]) for (const j of [0, 31, 63]) expect(read.data[r * DIM + j]).toBeCloseTo(embeddings[r]![j]!, 6);
    }
  });

  it('reads row groups on several threads into exactly the rows one thread reads, and refuses a bad row the same way', { timeout: 60_000 }, async () => {
    const embeddings = unitRows(700, DIM, 4);
    const ids = embeddings.map((_, i) => hashOf(i));
    const file = join(dir, 'threads.parquet');
    writeParquet(file, ids, embeddings, { rowGroupSize: 100 });
    const one = await readParquetEmbeddings(file, { dim: DIM, threads: 1 });
    const progress: number[] = [];
    const signal = new AbortController().signal;
    const three = await readParquetEmbeddings(file, { dim: DIM, threads: 3, signal, onProgress: (done, total) => progress.push(done / total) });
    expect(getEventListeners(signal, 'abort')).toHaveLength(0); // a job's signal outlives the import: nothing stays on it
    expect(three.ids).toEqual(one.ids);
    expect(Array.from(three.data)).toEqual(Array.from(one.data));
    expect(progress).toHaveLength(7); // one report per row group, whichever thread read it
    expect(progress.at(-1)).toBe(1);
    const bad = embeddings.map((e, i) => (i === 650 ? e.slice(0, 10) : e));
    writeParquet(file, ids, bad, { rowGroupSize: 100 });
    await expect(readParquetEmbeddings(file, { dim: DIM, threads: 3 })).rejects.toThrow(new RegExp(`row 650 \\(id "${hashOf(650)}"\\) does not hold 64 embedding values`));
    await expect(readParquetEmbeddings(file, { dim: DIM, threads: 3 })).rejects.toBeInstanceOf(DatasetInputError);
  });

  it('shares a file’s row groups out in contiguous ranges of about equal rows', () => {
    const metadata = (rows: number[]) => ({ row_groups: rows.map((num_rows) => ({ num_rows: BigInt(num_rows) })) }) as unknown as FileMetaData;
    const columns = { file: 'f', dim: 4, idColumn: 'id', embeddingColumn: 'embedding' };
    const ranges = (rows: number[], threads: number) => splitRowGroups(metadata(rows), columns, threads).map((t) => [t.groups[0], t.groups[1], t.rowStart]);
    expect(ranges([100, 100, 100, 100], 2)).toEqual([[0, 2, 0], [2, 4, 200]]);
    expect(ranges([100, 100, 100, 100, 50], 3)).toEqual([[0, 2, 0], [2, 3, 200], [3, 5, 300]]);
    expect(ranges([100, 100], 4)).toEqual([[0, 1, 0], [1, 2, 100]]);
    expect(ranges([100, 100, 100], 1)).toEqual([[0, 3, 0]]);
  });

  it('refuses a file whose rows do not fit the model set, or that lacks a column, saying which', async () => {
    const file = join(dir, 'wide.parquet');
    writeParquet(file, ['a', 'b'], unitRows(2, 32, 2));
    await expect(readParquetEmbeddings(file, { dim: DIM })).rejects.toThrow(/row 0 \(id "a"\) does not hold 64 embedding values/);
    const noIds = join(dir, 'noids.parquet');
    writeFileSync(noIds, Buffer.from(parquetWriteBuffer({ columnData: [{ name: 'vector_id', data: ['x'] }] })));
    await expect(readParquetEmbeddings(noIds, { dim: DIM })).rejects.toThrow(/no id column \(looked for sha256, content_hash, hash, id; it has vector_id\)/);
    await expect(readParquetEmbeddings(join(dir, 'missing.parquet'), { dim: DIM })).rejects.toThrow(/cannot read .*missing.parquet: ENOENT/);
  });

  it('dprdm dataset import indexes it through the studio, refuses bad rows (exit 2, one line), and the dataset generates', { timeout: 120_000 }, async () => {
    const embeddings = unitRows(1200, DIM, 3);
    const file = join(dir, 'archive.parquet');
    writeParquet(file, embeddings.map((_, i) => hashOf(i + 1)), embeddings, { rowGroupSize: 500 });
    const imported = await runCli(['dataset', 'import', file, '--name', 'Cluster archive', '--epsilon-cap', '5', '--json']);
    expect(imported.code, imported.stderr).toBe(0);
    const summary = JSON.parse(imported.stdout) as { id: string; imageCount: number; importedRows: number; indexMatchesLedger: boolean; budget: { epsilonCap: number } };
    expect(summary).toMatchObject({ imageCount: 1200, importedRows: 1200, indexMatchesLedger: true, budget: { epsilonCap: 5 } });

    const duplicate = join(dir, 'duplicate.parquet');
    writeParquet(duplicate, ['same', 'other', 'same'], unitRows(3, DIM, 4));
    const refusedDuplicate = await runCli(['dataset', 'import', duplicate]);
    expect(refusedDuplicate.code).toBe(2);
    expect(refusedDuplicate.stderr.trim().split('\n')).toHaveLength(1);
    expect(refusedDuplicate.stderr).toMatch(/ids 1 and 3 name the same image/);
    const notUnit = join(dir, 'not-unit.parquet');
    writeParquet(notUnit, ['u', 'v'], unitRows(2, DIM, 5).map((e) => e.map((x) => 2 * x)));
    const refusedNorm = await runCli(['dataset', 'import', notUnit]);
    expect(refusedNorm.code).toBe(2);
    expect(refusedNorm.stderr).toMatch(/has norm 2\.0+; embeddings must be unit-norm/);
    expect(JSON.parse((await runCli(['dataset', 'list', '--json'])).stdout).datasets).toHaveLength(1); // nothing half-imported

    const out = join(dir, 'out');
    const generated = await runCli(['generate', '--dataset', 'Cluster archive', '--prompt', 'a red star', '--epsilon', '0.5', '--images', '1', '--steps', '1', '--out', out, '--json']);
    expect(generated.code, generated.stderr).toBe(0);
    expect((JSON.parse(generated.stdout) as { generation: { parameters: { epsilonCost: number } } }).generation.parameters.epsilonCost).toBeCloseTo(0.5, 6);
  });
});
