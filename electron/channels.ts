/**
 * The contract's channel names as a plain list, for the preload (which must stay small and cannot load zod).
 * The type below fails to compile when the contract gains a channel this list lacks.
 */
import type { StudioChannel } from '../core/contract/contract.ts';

export const STUDIO_CHANNELS = [
  'studio.info',
  'datasets.list',
  'datasets.add',
  'datasets.import',
  'datasets.show',
  'datasets.sync',
  'datasets.remove',
  'prompt.check',
  'generate.preview',
  'generate.run',
  'generate.cancel',
  'generate.rerender',
  'history.list',
  'export.images',
  'ledger.show',
  'ledger.verify',
  'ledger.unlock',
  'ledger.export',
  'evaluate.run',
  'settings.get',
  'settings.set',
] as const satisfies readonly StudioChannel[];

type Unlisted = Exclude<StudioChannel, (typeof STUDIO_CHANNELS)[number]>;
const everyChannelListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyChannelListed;
