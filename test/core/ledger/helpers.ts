import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLedger, type Ledger, type OpenLedgerOptions } from '../../../core/ledger/index.ts';

/** n distinct sha256 member hashes, derived from a label so different datasets do not overlap. */
export function memberHashes(n: number, label = 'img'): string[] {
  return Array.from({ length: n }, (_, i) => createHash('sha256').update(`${label}-${i}`).digest('hex'));
}

export interface TempLedger {
  readonly dir: string;
  readonly path: string;
  open(options?: OpenLedgerOptions): Ledger;
  cleanup(): void;
}

export function tempLedger(prefix = 'dprdm-ledger-'): TempLedger {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const path = join(dir, 'ledger.sqlite');
  const opened: Ledger[] = [];
  return {
    dir,
    path,
    open(options) {
      const ledger = openLedger(path, options);
      opened.push(ledger);
      return ledger;
    },
    cleanup() {
      for (const ledger of opened) ledger.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
