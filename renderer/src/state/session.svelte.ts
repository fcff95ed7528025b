import type { GenerationRecord, StudioRequest } from '../../../core/contract/contract.ts';
import { readableError } from '../lib/errors.ts';
import { randomSeed } from '../lib/format.ts';
import { newJobId } from '../lib/ids.ts';
import { GenerateForm } from './generate.svelte.ts';
import { SampleGrid, type RunInfo } from './grid.svelte.ts';
import type { Studio } from './studio.svelte.ts';

/** Ties the form, the grid and the studio together: generate, cancel, re-render, export, history. */
export class GenerateSession {
  readonly form: GenerateForm;
  readonly grid = new SampleGrid();
  history = $state.raw<readonly GenerationRecord[]>([]);
  exporting = $state(false);

  constructor(private readonly studio: Studio) {
    this.form = new GenerateForm(studio.api);
  }

  /** Why Generate is off, in words; null when it may run. Reactive: reads only $state fields. */
  get generateBlocker(): string | null {
    if (this.grid.running) return 'A generation is running.';
    if (this.studio.datasetId === null) return 'Pick or add a dataset.';
    if (this.form.prompt.trim().length === 0) return 'Type a prompt.';
    if (this.form.publicOnly || this.form.reusesCondition(this.studio.datasetId)) return null; // free either way
    if (this.form.range === null) return 'This dataset’s budget is spent: what is left (under 0.01 % of its cap) buys nothing. Public-only generation still works and costs nothing.';
    const shown = this.form.previewedFor;
    const current = shown !== null && shown.datasetId === this.studio.datasetId && shown.epsilon === this.form.epsilon;
    if (current && this.form.preview && !this.form.preview.admissible) return 'This generation would exceed the budget: lower ε, or switch to public-only.';
    if (this.form.previewError) return `${this.form.previewError.title} (see above).`;
    return null;
  }

  get canGenerate(): boolean {
    return this.generateBlocker === null;
  }

  async generate(): Promise<void> {
    const datasetId = this.studio.datasetId;
    if (!this.canGenerate || !datasetId) return;
    const jobId = newJobId();
    if (this.form.reusesCondition(datasetId)) {
      // Nothing private changed since the recall: draw from the kept condition (free, exact for the same seed).
      const seeds = this.form.seedList();
      return this.runRerender({ generationId: this.form.recalled!.generationId, seeds, steps: this.form.steps, sampler: this.form.sampler, guidance: this.form.guidance, jobId }, datasetId, { images: seeds.length, steps: this.form.steps, seeds, publicOnly: false, epsilon: this.form.epsilon, label: this.form.prompt.trim() });
    }
    const request = this.form.request(datasetId, jobId);
    this.grid.begin({
      jobId,
      images: request.images ?? 4,
      steps: request.steps ?? 25,
      ...(request.seeds ? { seeds: request.seeds } : {}),
      publicOnly: request.publicOnly === true,
      ...(request.epsilon !== undefined ? { epsilon: request.epsilon } : {}),
      label: request.prompt,
    });
    try {
      const result = await this.studio.api['generate.run'](request);
      this.grid.complete(result);
    } catch (error) {
      this.grid.fail(error);
    }
    await this.afterRun(datasetId);
  }

  async cancel(): Promise<void> {
    const run = this.grid.run;
    if (!run) return;
    this.grid.cancelling = true;
    try {
      await this.studio.api['generate.cancel']({ jobId: run.jobId });
    } catch (error) {
      this.grid.error = readableError(error, 'Cancelling');
    }
  }

  /** New seeds from the same noisy condition: free while the studio still holds it. */
  async rerender(record: GenerationRecord, options: { guidance?: number } = {}): Promise<void> {
    const count = Math.max(1, record.images.length);
    const first = randomSeed();
    const seeds = Array.from({ length: count }, (_, i) => (first + i) % 2 ** 32);
    const steps = record.images[0]?.steps ?? this.form.steps;
    await this.runRerender({ generationId: record.generationId, seeds, jobId: newJobId(), ...(options.guidance !== undefined ? { guidance: options.guidance } : {}) }, record.datasetId, {
      images: count,
      steps,
      seeds,
      publicOnly: record.publicOnly || record.conditionHeld,
      epsilon: record.parameters.epsilonCost,
      label: `${record.prompt} (variations)`,
    });
  }

  /** One free re-render into the grid (variations, or a recall whose privacy settings are unchanged). */
  private async runRerender(
    request: StudioRequest<'generate.rerender'> & { readonly jobId: string },
    datasetId: string | null,
    tiles: Omit<RunInfo, 'jobId' | 'variations'>,
  ): Promise<void> {
    this.grid.begin({ jobId: request.jobId, ...tiles, variations: true });
    try {
      this.grid.complete(await this.studio.api['generate.rerender'](request));
    } catch (error) {
      this.grid.fail(error);
    }
    await this.afterRun(datasetId);
  }

  async exportSelected(folder?: string): Promise<void> {
    const imageIds = [...this.grid.selected];
    if (!imageIds.length) return;
    this.exporting = true;
    try {
      this.grid.exported = await this.studio.api['export.images']({ imageIds, ...(folder ? { folder } : {}) });
      this.grid.error = null;
    } catch (error) {
      this.grid.error = readableError(error, 'Exporting');
    } finally {
      this.exporting = false;
    }
  }

  async loadHistory(): Promise<void> {
    try {
      const datasetId = this.studio.datasetId;
      this.history = await this.studio.api['history.list'](datasetId ? { datasetId } : {});
    } catch {
      // History is secondary: the grid still works without it.
    }
  }

  private async afterRun(datasetId: string | null): Promise<void> {
    await Promise.allSettled([this.studio.refreshDatasets(), this.loadHistory()]);
    if (datasetId) await this.form.refreshPreview(datasetId);
  }
}
