import type { StudioApi, StudioSettings } from '../../../core/contract/contract.ts';
import { readableError, type ReadableError } from '../lib/errors.ts';

export class SettingsState {
  settings = $state.raw<StudioSettings | null>(null);
  saving = $state(false);
  saved = $state(false);
  error = $state.raw<ReadableError | null>(null);

  constructor(private readonly api: StudioApi) {}

  async load(): Promise<void> {
    try {
      this.settings = await this.api['settings.get']({});
    } catch (error) {
      this.error = readableError(error, 'Loading settings');
    }
  }

  async setExecutionProvider(executionProvider: StudioSettings['executionProvider']): Promise<void> {
    this.saving = true;
    this.saved = false;
    try {
      this.settings = await this.api['settings.set']({ executionProvider });
      this.saved = true;
      this.error = null;
    } catch (error) {
      this.error = readableError(error, 'Saving settings');
    } finally {
      this.saving = false;
    }
  }
}
