import { compareDatasets, type ConnectionState, type DatasetSummary, type StudioApi, type StudioEvent, type StudioInfo } from '../../../core/contract/contract.ts';
import { readableError, type ReadableError } from '../lib/errors.ts';

export type Screen = 'datasets' | 'generate' | 'budget' | 'evaluation' | 'settings';

export const SCREENS: readonly { readonly id: Screen; readonly label: string }[] = [
  { id: 'generate', label: 'Generate' },
  { id: 'datasets', label: 'Datasets' },
  { id: 'budget', label: 'Budget & ledger' },
  { id: 'evaluation', label: 'Evaluation' },
  { id: 'settings', label: 'Settings' },
];

/** App-wide state: which screen, the studio's info, the dataset list and which dataset is selected. */
export class Studio {
  screen = $state<Screen>('generate');
  info = $state.raw<StudioInfo | null>(null);
  datasets = $state.raw<readonly DatasetSummary[]>([]);
  datasetId = $state<string | null>(null);
  /** The last error that no screen handled itself. */
  error = $state.raw<ReadableError | null>(null);
  loaded = $state(false);

  readonly dataset = $derived(this.datasets.find((d) => d.id === this.datasetId) ?? null);

  constructor(
    readonly api: StudioApi,
    readonly pickFolder?: () => Promise<string | undefined>,
  ) {}

  async load(): Promise<void> {
    try {
      const [info] = await Promise.all([this.api['studio.info']({}), this.refreshDatasets()]);
      this.info = info;
    } catch (error) {
      this.report(error, 'Loading the studio');
    } finally {
      this.loaded = true;
    }
  }

  async refreshDatasets(): Promise<void> {
    const list = await this.api['datasets.list']({});
    this.datasets = list;
    if (!list.some((d) => d.id === this.datasetId)) this.datasetId = list[0]?.id ?? null;
  }

  /** Replaces one dataset's summary (e.g. after a generation changed its budget) without a round trip. */
  updateDataset(summary: DatasetSummary): void {
    const next = this.datasets.some((d) => d.id === summary.id) ? this.datasets.map((d) => (d.id === summary.id ? summary : d)) : [...this.datasets, summary];
    // the studio's own order, so the list reads the same after a reload
    this.datasets = next.sort(compareDatasets);
  }

  select(datasetId: string): void {
    this.datasetId = datasetId;
  }

  go(screen: Screen): void {
    this.screen = screen;
  }

  report(error: unknown, action?: string): ReadableError {
    const readable = readableError(error, action);
    this.error = readable;
    return readable;
  }

  dismissError(): void {
    this.error = null;
  }

  /** Whether the studio answers this tab's event stream (the HTTP client reconnects by itself). */
  connection = $state<'ok' | 'lost'>('ok');

  /** A lost studio is shown; when it is back the tab reloads its lists and drops the "did not answer" error. */
  async handleConnection(state: ConnectionState): Promise<void> {
    this.connection = state === 'lost' ? 'lost' : 'ok';
    if (state === 'restored') {
      if (this.error?.code === 'UNREACHABLE') this.error = null;
      await this.load();
    }
  }

  subscribe(listener: (event: StudioEvent) => void): () => void {
    return this.api.onEvent(listener);
  }
}
