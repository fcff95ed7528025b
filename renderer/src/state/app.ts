import type { StudioApi } from '../../../core/contract/contract.ts';
import { DatasetsState } from './datasets.svelte.ts';
import { EvaluationState } from './evaluation.svelte.ts';
import { LedgerState } from './ledger.svelte.ts';
import { GenerateSession } from './session.svelte.ts';
import { SettingsState } from './settings.svelte.ts';
import { Studio } from './studio.svelte.ts';

/** Every piece of UI state, created once per window. */
export interface AppState {
  readonly studio: Studio;
  readonly session: GenerateSession;
  readonly datasets: DatasetsState;
  readonly ledger: LedgerState;
  readonly settings: SettingsState;
  readonly evaluation: EvaluationState;
}

export function createAppState(api: StudioApi, pickFolder?: () => Promise<string | undefined>): AppState {
  const studio = new Studio(api, pickFolder);
  return { studio, session: new GenerateSession(studio), datasets: new DatasetsState(studio), ledger: new LedgerState(api), settings: new SettingsState(api), evaluation: new EvaluationState(api, () => studio.refreshDatasets()) };
}
