/** The evaluation room: the curator's utility evaluation of a dataset (core/evaluation/run.ts does the work). */
import type { StudioHandlers } from '../../contract/contract.ts';
import { runEvaluation } from '../../evaluation/run.ts';
import { STUDIO_VERSION, type StudioContext } from '../context.ts';
import { runJob } from '../jobs.ts';

export function evaluationHandlers(ctx: StudioContext): Pick<StudioHandlers, 'evaluate.run'> {
  return {
    'evaluate.run': (r, hctx) => {
      const d = ctx.catalog.require(r.datasetId);
      // In the dataset's queue: no generation can spend budget between the evaluation's plan and its charges.
      return runJob(ctx, hctx, { key: r.datasetId, jobId: r.jobId, scope: 'generation' }, (jobId, signal) =>
        runEvaluation(
          {
            home: ctx.home,
            ledger: ctx.ledger,
            modelDir: ctx.modelDir,
            manifest: ctx.manifest,
            modelSet: ctx.modelSet,
            studioVersion: STUDIO_VERSION,
            models: ctx.models,
            publicSet: ctx.publicSet,
            provider: ctx.settings().executionProvider,
            datasetName: d.name,
            datasetFolder: d.folder,
            emit: ctx.emit,
          },
          r,
          jobId,
          signal,
        ),
      );
    },
  };
}
