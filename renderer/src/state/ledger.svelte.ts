import type { LedgerExport, LedgerView, StudioApi, VerifyResult } from '../../../core/contract/contract.ts';
import { readableError, type ReadableError } from '../lib/errors.ts';

/** The Budget & ledger screen: the dataset's ledger, its verification and exports. */
export class LedgerState {
  view = $state.raw<LedgerView | null>(null);
  verify = $state.raw<VerifyResult | null>(null);
  verifying = $state(false);
  loading = $state(false);
  error = $state.raw<ReadableError | null>(null);
  lastExport = $state.raw<LedgerExport | null>(null);

  /** Newest first for the table; the chart uses time order. */
  readonly rows = $derived(this.view ? [...this.view.entries].reverse() : []);

  constructor(private readonly api: StudioApi) {}

  async load(datasetId: string | null): Promise<void> {
    if (!datasetId) {
      this.view = null;
      return;
    }
    this.loading = true;
    try {
      const view = await this.api['ledger.show']({ datasetId });
      if (view.datasetId !== datasetId) return;
      // A verification speaks for the rows it checked: another dataset, or new charges, need a new one.
      if (this.view?.datasetId !== datasetId || this.view.entries.length !== view.entries.length) this.verify = null;
      this.view = view;
      this.error = null;
    } catch (error) {
      this.error = readableError(error, 'Loading the ledger');
    } finally {
      this.loading = false;
    }
  }

  async runVerify(datasetId: string): Promise<void> {
    this.verifying = true;
    try {
      this.verify = await this.api['ledger.verify']({ datasetId });
    } catch (error) {
      this.error = readableError(error, 'Verifying the ledger');
    } finally {
      this.verifying = false;
    }
  }

  unlocking = $state(false);

  /**
   * The curator's unlock of a locked dataset, with their note (recorded in the ledger). The studio refuses while
   * verification still fails; the spend is never reset.
   */
  async unlock(datasetId: string, note: string): Promise<boolean> {
    this.unlocking = true;
    try {
      await this.api['ledger.unlock']({ datasetId, note, confirm: true });
      this.verify = null;
      await this.load(datasetId);
      return true;
    } catch (error) {
      this.error = readableError(error, 'Unlocking the dataset');
      return false;
    } finally {
      this.unlocking = false;
    }
  }

  /** Fetches the ledger export and its privacy statement; the screen offers both as downloads. */
  async export(datasetId: string, format: 'json' | 'csv'): Promise<LedgerExport | undefined> {
    try {
      const result = await this.api['ledger.export']({ datasetId, format });
      this.lastExport = result;
      return result;
    } catch (error) {
      this.error = readableError(error, 'Exporting the ledger');
      return undefined;
    }
  }
}
