/**
 * Exports of a dataset's ledger (JSON and CSV) with a plain-language privacy statement. Only hashes, mechanism
 * parameters and the purpose/prompt text appear — the ledger never holds file names or paths of private images.
 */
import type { ChargeRecord, DatasetInfo, Ledger, VerifyReport } from './ledger.ts';
import { ACCOUNTANT, MECHANISM } from './ledger.ts';
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
export function privacyStatement(dataset: DatasetInfo, charges: readonly ChargeRecord[], verification: VerifyReport): string {
  const releases = charges.filter((c) => c.kind === 'release').length;
  const audits = charges.length - releases;
  const sigmas = charges.map((c) => c.sigma);
  const qs = charges.map((c) => c.q);
  const ks = charges.map((c) => c.k);
  const range = (values: number[]) => (values.length === 0 ? 'none' : Math.min(...values) === Math.max(...values) ? fmt(values[0]!) : `${fmt(Math.min(...values))}–${fmt(Math.max(...values))}`);
  return [
    `Privacy statement for dataset "${dataset.name}" (${dataset.id}), ${dataset.memberCount} images; privacy unit: one ${dataset.privacyUnit} (add/remove-one adjacency).`,
    `${charges.length} ${charges.length === 1 ? 'query has' : 'queries have'} been answered from it (${releases} released, ${audits} audit-only).`,
    `Together they satisfy (ε = ${fmt(dataset.cumulativeEpsilon)}, δ = ${dataset.delta})-differential privacy for every image: whatever anyone sees of all outputs, ` +
      `the chance of any conclusion changes by at most a factor e^ε whether or not a given image was in the folder, except with probability δ.`,
    `The curator's budget is ε = ${fmt(dataset.epsilonCap)} at the same δ; ${fmt(dataset.remainingEpsilon)} remains. Queries beyond the budget are refused before any private image is read.`,
    `Mechanism: ${MECHANISM}. Parameters used: q ${range(qs)}, σ ${range(sigmas)}, k ${range(ks)}.`,
    `Accountant: ${ACCOUNTANT}; over ${describeOrders(dataset.orders)}.`,
    `The ledger is hash-chained; verification ${verification.ok ? 'passed' : `FAILED (${verification.firstBadRow?.problem ?? 'see problems'}) and the dataset is locked`}.`,
    'No file names, paths or pixels of private images are recorded; only content hashes, mechanism parameters and the stated purpose of each query.',
  ].join('\n');
}

function jsonNumber(x: number): number | string {
  return Number.isFinite(x) ? x : x > 0 ? 'Infinity' : String(x);
}

export interface LedgerExport {
  readonly format: 'dprdm-ledger-export';
  readonly version: 1;
  readonly exportedAt: string;
  readonly statement: string;
  readonly dataset: Record<string, unknown>;
  readonly verification: { ok: boolean; problems: VerifyReport['problems'] };
  readonly charges: Record<string, unknown>[];
}

/** Builds the export object (verifies first: a failing ledger is exported with its problems and is locked). */
export function buildExport(ledger: Ledger, datasetId: string, now: Date = new Date()): LedgerExport {
  requireDatasetId(datasetId);
  const verification = ledger.verify(datasetId);
  const dataset = ledger.getDataset(datasetId);
  const charges = ledger.charges(datasetId);
  return {
    format: 'dprdm-ledger-export',
    version: 1,
    exportedAt: now.toISOString(),
    statement: privacyStatement(dataset, charges, verification),
    dataset: {
      id: dataset.id,
      name: dataset.name,
      createdAt: dataset.createdAt,
      privacyUnit: dataset.privacyUnit,
      memberCount: dataset.memberCount,
      fingerprint: dataset.fingerprint,
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

const CSV_COLUMNS = ['seq', 'receipt_id', 'created_at', 'kind', 'q', 'sigma', 'k', 'lambda', 'noise_multiplier', 'epsilon_this_query', 'cumulative_epsilon', 'order', 'purpose', 'prev_hash', 'hash'] as const;

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
  const lines = data.statement.split('\n').map((line) => `# ${line}`);
  lines.push(`# dataset ${datasetId}; exported ${data.exportedAt}; ε cap ${data.dataset.epsilonCap}; δ ${data.dataset.delta}; verification ${data.verification.ok ? 'passed' : 'FAILED'}`);
  lines.push(CSV_COLUMNS.join(','));
  for (const c of data.charges) {
    lines.push(
      [c.seq, c.receiptId, c.createdAt, c.kind, c.q, c.sigma, c.k, c.lambda, c.noiseMultiplier, c.epsilonCost, c.cumulativeEpsilon, c.order, c.purpose, c.prevHash, c.hash]
        .map((v) => csvField(v as string | number))
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
