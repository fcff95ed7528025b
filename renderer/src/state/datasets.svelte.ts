import type { DatasetDetail, StudioEvent } from '../../../core/contract/contract.ts';
import { readableError, type ReadableError } from '../lib/errors.ts';
import { newJobId } from '../lib/ids.ts';
import { capWords, plural } from '../lib/format.ts';
import type { Studio } from './studio.svelte.ts';

export interface IndexJob {
  readonly jobId: string;
  readonly label: string;
  readonly phase: string;
  readonly done: number;
  readonly total: number;
  readonly ratePerSecond?: number;
  readonly etaSeconds?: number;
}

/** The Datasets screen: add a folder, watch it index, inspect quarantine and duplicates, sync, remove. */
export class DatasetsState {
  folder = $state('');
  name = $state('');
  epsilonCap = $state(10);
  job = $state.raw<IndexJob | null>(null);
  detail = $state.raw<DatasetDetail | null>(null);
  busy = $state(false);
  error = $state.raw<ReadableError | null>(null);
  notice = $state<string | null>(null);
  /** The dataset whose removal waits for a second click. */
  confirmRemove = $state<string | null>(null);

  readonly fraction = $derived(this.job && this.job.total > 0 ? Math.min(1, this.job.done / this.job.total) : 0);
  readonly canAdd = $derived(this.folder.trim().length > 0 && !this.busy && this.epsilonCap > 0);

  constructor(private readonly studio: Studio) {}

  handleEvent(event: StudioEvent): void {
    if (event.type !== 'progress' || event.task !== 'index' || !this.job || event.jobId !== this.job.jobId) return;
    this.job = {
      ...this.job,
      phase: event.phase,
      done: event.done,
      total: event.total,
      ...(event.ratePerSecond !== undefined ? { ratePerSecond: event.ratePerSecond } : {}),
      ...(event.etaSeconds !== undefined ? { etaSeconds: event.etaSeconds } : {}),
    };
  }

  async browse(): Promise<void> {
    const picked = await this.studio.pickFolder?.();
    if (picked) this.folder = picked;
  }

  async add(): Promise<void> {
    if (!this.canAdd) return;
    const jobId = newJobId();
    this.begin(jobId, 'Indexing');
    try {
      const name = this.name.trim();
      const summary = await this.studio.api['datasets.add']({ folder: this.folder.trim(), epsilonCap: this.epsilonCap, jobId, ...(name ? { name } : {}) });
      this.studio.updateDataset(summary);
      this.studio.select(summary.id);
      this.notice = `Indexed “${summary.name}”: ${plural(summary.imageCount, 'image')}${summary.quarantinedCount ? `, ${summary.quarantinedCount} quarantined` : ''}${summary.duplicateCount ? `, ${plural(summary.duplicateCount, 'duplicate')}` : ''}. ${capWords(summary)}`;
      this.folder = '';
      this.name = '';
      await this.show(summary.id);
    } catch (error) {
      this.error = refused(readableError(error, 'Adding the folder'), 'The folder was not added');
    } finally {
      this.end();
    }
  }

  async show(datasetId: string): Promise<void> {
    try {
      this.detail = await this.studio.api['datasets.show']({ datasetId });
    } catch (error) {
      this.error = readableError(error, 'Opening the dataset');
    }
  }

  async sync(datasetId: string): Promise<void> {
    const jobId = newJobId();
    this.begin(jobId, 'Syncing');
    try {
      const summary = await this.studio.api['datasets.sync']({ datasetId, jobId });
      this.studio.updateDataset(summary);
      this.notice = `Synced “${summary.name}”: ${summary.imageCount} images.`;
      await this.show(datasetId);
    } catch (error) {
      this.error = refused(readableError(error, 'Syncing'), 'The folder was not synced');
    } finally {
      this.end();
    }
  }

  /** Removes the index (never the image files). The first call asks; the second, for the same id, removes. */
  async remove(datasetId: string): Promise<void> {
    if (this.confirmRemove !== datasetId) {
      this.confirmRemove = datasetId;
      return;
    }
    this.confirmRemove = null;
    this.busy = true;
    try {
      await this.studio.api['datasets.remove']({ datasetId });
      if (this.detail?.id === datasetId) this.detail = null;
      await this.studio.refreshDatasets();
      this.notice = 'Removed the index. The image files were not touched.';
    } catch (error) {
      this.error = readableError(error, 'Removing the dataset');
    } finally {
      this.busy = false;
    }
  }

  private begin(jobId: string, label: string): void {
    this.busy = true;
    this.error = null;
    this.notice = null;
    this.job = { jobId, label, phase: 'starting', done: 0, total: 0 };
  }

  private end(): void {
    this.busy = false;
    this.job = null;
  }
}

/** A refusal of the folder itself (e.g. images another dataset already holds) is titled by what did not happen. */
function refused(error: ReadableError, title: string): ReadableError {
  return error.code === 'INVALID_REQUEST' ? { ...error, title } : error;
}
