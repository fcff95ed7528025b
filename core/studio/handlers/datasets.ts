/** The datasets room: list, show, add, sync and remove private folders (core/datasets does the indexing). */
import { resolve } from 'node:path';
import { readFile } from 'node:fs/promises';
import { addDataset, embeddingSpaceOf, importEmbeddings, readParquetEmbeddings, removeDataset, showDataset, syncDataset, DatasetInputError, type DatasetSyncReport, type IndexProgress } from '../../datasets/index.ts';
import { compareDatasets, type IndexRun, type StudioEvent, type StudioHandlers } from '../../contract/contract.ts';
import type { StudioContext } from '../context.ts';
import { describeOverlap } from '../errors.ts';
import { runJob } from '../jobs.ts';
import type { DatasetSummaries } from '../summaries.ts';

type DatasetChannels = 'datasets.list' | 'datasets.show' | 'datasets.add' | 'datasets.import' | 'datasets.sync' | 'datasets.remove';

const progressEvent = (jobId: string, p: IndexProgress): StudioEvent => ({
  type: 'progress',
  jobId,
  task: 'index',
  phase: p.phase,
  done: p.filesDone,
  total: p.filesTotal,
  ratePerSecond: p.ratePerSecond,
  ...(p.etaSeconds !== undefined ? { etaSeconds: p.etaSeconds } : {}),
});

const runOf = (report: DatasetSyncReport): IndexRun => ({ created: report.created, counts: report.counts, seconds: report.timings.totalMs / 1000, warnings: report.warnings });

export function datasetHandlers(ctx: StudioContext, summaries: DatasetSummaries): Pick<StudioHandlers, DatasetChannels> {
  const { home, ledger, catalog } = ctx;
  const explain = (error: unknown) => describeOverlap(error, (id) => catalog.find(id)?.name);
  return {
    'datasets.list': async () => catalog.all().map((d) => summaries.of(d)).sort(compareDatasets),
    'datasets.show': async (r) => {
      const d = showDataset(r.datasetId, { home });
      return {
        ...summaries.of(d),
        folder: d.folder,
        quarantined: d.quarantined.map((q) => ({ path: q.path, reason: q.reason, retried: q.retried })),
        duplicates: d.duplicates.flatMap((g) => g.paths.slice(1).map((path) => ({ path, duplicateOf: g.paths[0]! }))),
        familiarity: d.familiarity ?? null,
      };
    },
    'datasets.add': (r, hctx) =>
      runJob(ctx, hctx, { key: `add:${resolve(r.folder)}`, jobId: r.jobId, scope: 'curator', explain }, async (jobId, signal) => {
        const report = await addDataset({
          folder: r.folder,
          ...(r.name ? { name: r.name } : {}),
          ...(r.epsilonCap ? { epsilonCap: r.epsilonCap } : {}),
          ...(r.sizeClass ? { sizeClass: r.sizeClass } : {}),
          ...(r.plannedGenerations ? { plannedGenerations: r.plannedGenerations } : {}),
          ...(r.precision ? { precision: r.precision } : {}),
          home,
          ledger,
          embedder: await ctx.indexingEmbedder(),
          signal,
          onProgress: (p) => ctx.emit(progressEvent(jobId, p)),
        });
        ctx.forget(report.datasetId);
        return { ...summaries.of(catalog.require(report.datasetId)), run: runOf(report) };
      }),
    'datasets.import': (r, hctx) =>
      runJob(ctx, hctx, { key: `import:${resolve(r.file)}`, jobId: r.jobId, scope: 'curator', explain }, async (jobId, signal) => {
        const started = performance.now();
        const dim = ctx.manifest.embedding.dim;
        const modelSet = embeddingSpaceOf(ctx.manifest);
        const plan = {
          ...(r.name ? { name: r.name } : {}),
          ...(r.epsilonCap ? { epsilonCap: r.epsilonCap } : {}),
          ...(r.sizeClass ? { sizeClass: r.sizeClass } : {}),
          ...(r.plannedGenerations ? { plannedGenerations: r.plannedGenerations } : {}),
          precision: r.precision ?? ctx.manifest.retrieval.storePrecision,
        };
        let imported;
        if (/\.parquet$/i.test(r.file)) {
          if (r.ids) throw new DatasetInputError('a Parquet file carries its own ids; leave out the ids file');
          const read = await readParquetEmbeddings(resolve(r.file), { dim, signal, onProgress: (done, total) => ctx.emit({ type: 'progress', jobId, task: 'index', phase: 'import', done, total }) });
          imported = importEmbeddings({ matrix: read, ids: read.ids, modelSet, dim, home, ledger, ...plan });
        } else {
          if (!r.ids) throw new DatasetInputError('an .npy import needs its ids: a text file with one id (the image’s sha256, or a unique name) per row');
          const ids = (await readFile(resolve(r.ids), 'utf8')).split(/\r?\n/).filter((line) => line !== '');
          imported = importEmbeddings({ npy: resolve(r.file), ids, modelSet, dim, home, ledger, ...plan });
        }
        ctx.forget(imported.datasetId);
        return { ...summaries.of(catalog.require(imported.datasetId)), importedRows: imported.members, seconds: (performance.now() - started) / 1000 };
      }),
    'datasets.sync': (r, hctx) =>
      runJob(ctx, hctx, { key: r.datasetId, jobId: r.jobId, scope: 'curator', explain }, async (jobId, signal) => {
        const report = await syncDataset(r.datasetId, { home, ledger, embedder: await ctx.indexingEmbedder(), signal, onProgress: (p) => ctx.emit(progressEvent(jobId, p)) });
        ctx.forget(r.datasetId);
        return { ...summaries.of(catalog.require(r.datasetId)), run: runOf(report) };
      }),
    'datasets.remove': async (r) => {
      // In the dataset's queue: never while one of its generations or syncs runs.
      await ctx.queue.run(r.datasetId, async () => removeDataset(r.datasetId, { home }));
      ctx.forget(r.datasetId);
      return { removed: true as const };
    },
  };
}
