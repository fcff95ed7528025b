/**
 * Exports of a dataset's ledger (JSON, and plain CSV of the entries with the JSON's metadata beside it) with a
 * plain-language privacy statement. Only the random dataset id, chain hashes, mechanism parameters, the declared
 * size class and the purpose/prompt text appear — never file names, paths, content hashes, the membership
 * fingerprint or the exact number of images.
 */
import { describeSizeClass } from './size-class.ts';
import type { Ledger } from './ledger.ts';
import type { ChargeRecord, DatasetInfo, VerifyReport } from './types.ts';
import { ACCOUNTANT, MECHANISM } from './types.ts';
import { LedgerInputError } from './errors.ts';
import { requireDatasetId } from './validate.ts';

export type ExportFormat = 'json' | 'csv';

function fmt(x: number): string {
  return Number.isFinite(x) ? Number(x.toPrecision(6)).toString() : '∞';
}

function describeOrders(orders: readonly number[]): string {
  if (orders.length === 0) return 'no orders';
  return `${orders.length} Rényi orders from ${orders[0]} to ${orders[orders.length - 1]}`;
}

/** The plain-language privacy statement for a dataset's ledger. */
export function ledgerPrivacyStatement(dataset: DatasetInfo, charges: readonly ChargeRecord[], verification: VerifyReport): string {
  const releases = charges.filter((c) => c.kind === 'release').length;
  const audits = charges.length - releases;
  const sigmas = charges.map((c) => c.sigma);
  const qs = charges.map((c) => c.q);
  const ks = charges.map((c) => c.k);
  const range = (values: number[]) => (values.length === 0 ? 'none' : Math.min(...values) === Math.max(...values) ? fmt(values[0]!) : `${fmt(Math.min(...values))}–${fmt(Math.max(...values))}`);
  return [
    `Privacy statement for dataset "${dataset.name}" (${dataset.id}), declared ${describeSizeClass(dataset.sizeClass)}; privacy unit: one ${dataset.privacyUnit} (add/remove-one adjacency).`,
    `${charges.length} ${charges.length === 1 ? 'entry has' : 'entries have'} been recorded (${releases} released queries, ${audits} audit-only${charges.length - releases - audits > 0 ? ', the rest spend carried in with images' : ''}).`,
    `Everything released from it satisfies (ε = ${fmt(dataset.epsilonCap)}, δ = ${dataset.delta})-differential privacy for every image: whatever anyone sees of all outputs, ` +
      `the chance of any conclusion changes by at most a factor e^ε whether or not a given image was in the folder, except with probability δ.`,
    `ε ${fmt(dataset.cumulativeEpsilon)} of that budget is used and ${fmt(dataset.remainingEpsilon)} remains (the Rényi filter at order α = ${dataset.filter.order}). Queries beyond the budget are refused before any private image is read.`,
    `Mechanism: ${MECHANISM}. Parameters used: q ${range(qs)}, σ ${range(sigmas)}, k ${range(ks)}.`,
    `Accountant: ${ACCOUNTANT}; RDP recorded over ${describeOrders(dataset.orders)}.`,
    `The ledger is hash-chained; verification ${verification.ok ? 'passed' : `FAILED (${verification.firstBadRow?.problem ?? 'see problems'}) and the dataset is locked`}.`,
    'No file names, paths or pixels of private images are recorded; only content hashes, mechanism parameters and the stated purpose of each query.',
  ].join('\n');
}

function jsonNumber(x: number): number | string {
  return Number.isFinite(x) ? x : x > 0 ? 'Infinity' : String(x);
}

export interface LedgerExportDocument {
  readonly format: 'dprdm-ledger-export';
  readonly version: 1;
  readonly exportedAt: string;
  readonly statement: string;
  readonly dataset: Record<string, unknown>;
  readonly verification: { ok: boolean; problems: VerifyReport['problems'] };
  readonly charges: Record<string, unknown>[];
}

/** Builds the export object (verifies first: a failing ledger is exported with its problems and is locked). */
export function buildExport(ledger: Ledger, datasetId: string, now: Date = new Date()): LedgerExportDocument {
  requireDatasetId(datasetId);
  const verification = ledger.verify(datasetId);
  const dataset = ledger.getDataset(datasetId);
  const charges = ledger.charges(datasetId);
  return {
    format: 'dprdm-ledger-export',
    version: 1,
    exportedAt: now.toISOString(),
    statement: ledgerPrivacyStatement(dataset, charges, verification),
    dataset: {
      id: dataset.id,
      name: dataset.name,
      createdAt: dataset.createdAt,
      privacyUnit: dataset.privacyUnit,
      sizeClass: dataset.sizeClass,
      filterOrder: dataset.filter.order,
      epsilonCap: dataset.epsilonCap,
      delta: dataset.delta,
      cumulativeEpsilon: dataset.cumulativeEpsilon,
      remainingEpsilon: dataset.remainingEpsilon,
      queries: charges.length,
      mechanism: MECHANISM,
      accountant: ACCOUNTANT,
      conversion: dataset.conversion,
      orders: dataset.orders,
      locked: dataset.locked,
      lockedReason: dataset.lockedReason ?? null,
    },
    verification: { ok: verification.ok, problems: verification.problems },
    charges: charges.map((c) => ({
      seq: c.seq,
      receiptId: c.receiptId,
      createdAt: c.createdAt,
      kind: c.kind,
      q: c.q,
      sigma: c.sigma,
      k: c.k,
      lambda: c.lambda,
      noiseMultiplier: (c.sigma * c.k) / 2,
      purpose: c.purpose,
      epsilonCost: c.epsilonCost,
      cumulativeEpsilon: c.cumulativeEpsilon,
      order: c.order,
      rdp: c.rdp.map(jsonNumber),
      cumulativeRdp: c.cumulativeRdp.map(jsonNumber),
      prevHash: c.prevHash,
      hash: c.hash,
    })),
  };
}

const CSV_COLUMNS = ['seq', 'receipt_id', 'created_at', 'kind', 'q', 'sigma', 'k', 'lambda', 'noise_multiplier', 'epsilon_cost', 'cumulative_epsilon', 'order', 'purpose', 'prev_hash', 'hash'] as const;

/** RFC 4180 quoting; a leading = + - @ (spreadsheet formula) is defused with an apostrophe. */
export function csvField(value: string | number): string {
  let text = typeof value === 'number' ? String(value) : value;
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}

export function exportLedger(ledger: Ledger, datasetId: string, format: ExportFormat, now: Date = new Date()): string {
  if (format !== 'json' && format !== 'csv') throw new LedgerInputError('format', `must be "json" or "csv", got ${String(format)}`);
  const data = buildExport(ledger, datasetId, now);
  if (format === 'json') return `${JSON.stringify(data, null, 2)}\n`;
  // Plain CSV: a header and one row per entry (spreadsheets choke on comment lines); the statement and the
  // dataset's metadata are in the JSON export, which the CLI writes beside a CSV file (ledgerMetadata).
  const lines: string[] = [CSV_COLUMNS.join(',')];
  for (const c of data.charges) {
    lines.push(
      [c.seq, c.receiptId, c.createdAt, c.kind, c.q, c.sigma, c.k, c.lambda, c.noiseMultiplier, c.epsilonCost, c.cumulativeEpsilon, c.order, c.purpose, c.prevHash, c.hash]
        .map((v) => csvField(v as string | number))
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** The JSON export without its entries: what a CSV export's sidecar holds. */
export function ledgerMetadata(ledger: Ledger, datasetId: string, now: Date = new Date()): string {
  const { charges: _charges, ...meta } = buildExport(ledger, datasetId, now);
  return `${JSON.stringify(meta, null, 2)}\n`;
}
