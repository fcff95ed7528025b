import type { EvaluationReport, StudioApi, StudioEvent } from '../../../core/contract/contract.ts';
import { readableError, type ReadableError } from '../lib/errors.ts';
import { newJobId } from '../lib/ids.ts';

/**
 * The Evaluation screen's state (one per window, so a report survives a visit to another screen): check the audit cost (a dry run), then — only for that checked plan, once it fits and the
 * curator has confirmed that the report is not differentially private — run it and show its table and plot.
 */
export class EvaluationState {
  prompts = $state(100);
  seeds = $state(3);
  plan = $state.raw<EvaluationReport | null>(null);
  /** The curator's confirmation, for the checked plan only: the report compares with private images directly. */
  confirmed = $state(false);
  report = $state.raw<EvaluationReport | null>(null);
  running = $state(false);
  progress = $state.raw<{ done: number; total: number } | null>(null);
  error = $state.raw<ReadableError | null>(null);
  private jobId: string | null = null;

  /** `afterSpend` refreshes whatever shows budgets once a run has charged its audit queries. */
  constructor(
    private readonly api: StudioApi,
    private readonly afterSpend: () => Promise<void> = async () => undefined,
  ) {}

  /** The checked plan, if it is for this dataset and the sizes now chosen (a changed size needs a new check). */
  checkedPlan(datasetId: string | null): EvaluationReport | null {
    const plan = this.plan;
    return plan && plan.datasetId === datasetId && plan.parameters.prompts === this.prompts && plan.parameters.seeds === this.seeds ? plan : null;
  }

  /** What would stop a run now, in words; null when it can run. */
  runBlocker(datasetId: string | null): string | null {
    if (!datasetId) return 'Pick a dataset.';
    if (this.running) return 'An evaluation is running.';
    const plan = this.checkedPlan(datasetId);
    if (!plan) return 'Check the cost first.';
    if (!plan.audit.fits) return 'It does not fit the budget left.';
    if (!this.confirmed) return 'Confirm that the report is for your eyes only.';
    return null;
  }

  /** Progress of the running evaluation (the caller subscribes with api.onEvent). */
  handle(event: StudioEvent): void {
    if (event.type === 'progress' && event.task === 'evaluate' && event.jobId === this.jobId) this.progress = { done: event.done, total: event.total };
  }

  /** What the evaluation would cost, and whether it fits: charges and reads nothing. */
  async check(datasetId: string): Promise<void> {
    this.confirmed = false;
    try {
      this.plan = await this.api['evaluate.run']({ datasetId, prompts: this.prompts, seeds: this.seeds, dryRun: true });
      this.error = null;
    } catch (error) {
      this.plan = null;
      this.error = readableError(error, 'Planning the evaluation');
    }
  }

  /** Runs the checked plan; does nothing while runBlocker says why not. */
  async run(datasetId: string): Promise<void> {
    if (this.runBlocker(datasetId) !== null) return;
    this.running = true;
    this.progress = null;
    this.jobId = newJobId();
    try {
      this.report = await this.api['evaluate.run']({ datasetId, prompts: this.prompts, seeds: this.seeds, jobId: this.jobId, confirmNonPrivate: true });
      this.error = null;
    } catch (error) {
      this.error = readableError(error, 'Running the evaluation');
    } finally {
      this.running = false;
      this.jobId = null;
      // Spending again needs a fresh check: the budget left has changed.
      this.plan = null;
      this.confirmed = false;
      await this.afterSpend().catch(() => undefined);
    }
  }

  async cancel(): Promise<void> {
    if (this.jobId) await this.api['generate.cancel']({ jobId: this.jobId });
  }
}
