import type { EvaluationReport, StudioApi, StudioEvent } from '../../../core/studio/contract.ts';
import { readableError, type ReadableError } from '../lib/errors.ts';
import { newJobId } from '../lib/ids.ts';

/** The Evaluation screen: plan the audit cost (dry run), run the evaluation, show its table and plot. */
export class EvaluationState {
  prompts = $state(100);
  seeds = $state(3);
  plan = $state.raw<EvaluationReport | null>(null);
  report = $state.raw<EvaluationReport | null>(null);
  running = $state(false);
  progress = $state.raw<{ done: number; total: number } | null>(null);
  error = $state.raw<ReadableError | null>(null);
  private jobId: string | null = null;

  constructor(private readonly api: StudioApi) {}

  /** Progress of the running evaluation (the caller subscribes with api.onEvent). */
  handle(event: StudioEvent): void {
    if (event.type === 'progress' && event.task === 'evaluate' && event.jobId === this.jobId) this.progress = { done: event.done, total: event.total };
  }

  /** What the evaluation would cost, and whether it fits: charges and reads nothing. */
  async check(datasetId: string): Promise<void> {
    try {
      this.plan = await this.api['evaluate.run']({ datasetId, prompts: this.prompts, seeds: this.seeds, dryRun: true });
      this.error = null;
    } catch (error) {
      this.error = readableError(error, 'Planning the evaluation');
    }
  }

  async run(datasetId: string): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.progress = null;
    this.jobId = newJobId();
    try {
      this.report = await this.api['evaluate.run']({ datasetId, prompts: this.prompts, seeds: this.seeds, jobId: this.jobId });
      this.error = null;
    } catch (error) {
      this.error = readableError(error, 'Running the evaluation');
    } finally {
      this.running = false;
      this.jobId = null;
    }
  }

  async cancel(): Promise<void> {
    if (this.jobId) await this.api['generate.cancel']({ jobId: this.jobId });
  }
}
