/**
 * Writes an export folder: the PNGs (each already carrying its `parameters` and `dprdm` text chunks), a
 * `manifest.json` and `manifest.csv` listing them with their provenance, and `PRIVACY.md`. Every field comes from
 * `ImageProvenance`, which holds only public facts, so nothing from a private folder can reach the export.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { csvField } from '../ledger/export.ts';
import type { ImageProvenance } from './provenance.ts';

export interface ExportItem {
  /** The studio's own PNG (generated output, with provenance chunks). */
  readonly source: string;
  readonly provenance: ImageProvenance;
}

export interface ExportedFile {
  readonly file: string;
  readonly sha256: string;
  readonly provenance: ImageProvenance;
}

const CSV_COLUMNS = [
  'file',
  'sha256',
  'prompt',
  'seed',
  'steps',
  'guidance',
  'mode',
  'receipt_id',
  'epsilon_cost',
  'cumulative_epsilon',
  'epsilon_cap',
  'delta',
  'sigma',
  'k',
  'q',
  'lambda',
  'dataset_id',
  'model_set',
  'model_sha256',
  'generation_id',
  'created_at',
] as const;

function csvRow(f: ExportedFile): string {
  const p = f.provenance;
  const priv = p.privacy.mode === 'private' ? p.privacy : undefined;
  const cells: (string | number)[] = [
    f.file,
    f.sha256,
    p.prompt,
    p.seed,
    p.steps,
    p.guidance,
    p.privacy.mode,
    priv?.receiptId ?? '',
    priv?.epsilonCost ?? 0,
    priv?.cumulativeEpsilon ?? '',
    priv?.epsilonCap ?? '',
    priv?.delta ?? '',
    priv?.mechanism.sigma ?? '',
    priv?.mechanism.k ?? '',
    priv?.mechanism.q ?? '',
    priv?.mechanism.lambda ?? '',
    priv?.datasetId ?? '',
    `${p.modelSet.name}-${p.modelSet.version}`,
    p.modelSet.sha256,
    p.generationId,
    p.createdAt,
  ];
  return cells.map(csvField).join(',');
}

/** An export's receipt of a collection's ledger head (no member information: a random id, a count and a chain hash). */
export interface LedgerHeadReceipt {
  readonly datasetId: string;
  readonly seq: number;
  readonly hash: string;
}

/** Copies the images into `folder` (created) and writes the manifests and `statement` as PRIVACY.md. */
export function writeExportFolder(
  folder: string,
  items: readonly ExportItem[],
  statement: (files: readonly ExportedFile[]) => string,
  ledgerHeads: readonly LedgerHeadReceipt[] = [],
): ExportedFile[] {
  mkdirSync(folder, { recursive: true, mode: 0o755 });
  const files: ExportedFile[] = items.map((item, i) => {
    const bytes = readFileSync(item.source);
    const p = item.provenance;
    const file = `${String(i + 1).padStart(3, '0')}-${p.privacy.mode === 'private' ? 'private' : 'public'}-seed${p.seed}.png`;
    writeFileSync(join(folder, file), bytes, { flag: 'wx' });
    return { file, sha256: createHash('sha256').update(bytes).digest('hex'), provenance: p };
  });
  writeFileSync(join(folder, 'manifest.json'), `${JSON.stringify({ format: 'dprdm-export', version: 2, ledgerHeads, images: files }, null, 2)}\n`, { flag: 'wx' });
  writeFileSync(join(folder, 'manifest.csv'), [CSV_COLUMNS.join(','), ...files.map(csvRow)].join('\n') + '\n', { flag: 'wx' });
  writeFileSync(join(folder, 'PRIVACY.md'), statement(files), { flag: 'wx' });
  return files;
}
