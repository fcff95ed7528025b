/** A dataset named on the command line: its id, or its name (case-insensitive, unique), as every command accepts. */
import type { Ledger } from '../ledger/index.ts';
import { UsageError } from './usage-error.ts';

export function resolveDatasetArgument(ledger: Ledger, argument: string | undefined, usage: string): string {
  if (argument === undefined || argument.length === 0) throw new UsageError(`a dataset id or name is required; ${usage}`);
  if (/^ds_[0-9a-f]{16}$/.test(argument)) return argument;
  const matches = ledger.listDatasets().filter((d) => d.name.toLowerCase() === argument.toLowerCase());
  if (matches.length === 1) return matches[0]!.id;
  if (matches.length > 1) throw new UsageError(`${matches.length} datasets are named "${argument}"; use the id (${matches.map((d) => d.id).join(', ')})`);
  throw new UsageError(`no dataset with id or name "${argument}" (dprdm dataset list shows them)`);
}
