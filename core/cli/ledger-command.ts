/**
 * `dprdm ledger list|show|verify|unlock|export`: the privacy budget ledger from the command line.
 * The ledger is `<DPRDM_HOME or the OS data directory>/ledger.sqlite`. Exit codes: 0 ok, 1 verification failed
 * (the dataset is now locked) or the ledger is unusable, 2 bad input.
 *
 * `verify` and `unlock` act on the ledger (a failed verification locks the dataset; an unlock is the curator's
 * act) and go through the studio façade like every face. `list`, `show` and `export` only read the file, and read
 * it directly: an auditor can inspect a ledger without the model set, including datasets whose index was removed.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultLedgerPath } from '../paths.ts';
import { describeSizeClass, exportLedger, ledgerMetadata, openLedger, type DatasetInfo, type Ledger } from '../ledger/index.ts';
import { parseRequest, type StudioChannel, type StudioResponses } from '../contract/contract.ts';
import type { StudioService } from '../studio/service.ts';
import { withStudioService } from './with-studio-service.ts';
import { optionalChoice, optionalString, parseFlags } from './flags.ts';
import { printJson, type CommandIO } from './io.ts';
import { UsageError } from './usage-error.ts';
import { resolveDatasetArgument } from './dataset-ref.ts';

const USAGE =
  'usage: dprdm ledger list [--json] | show <dataset> [--json] | verify <dataset> [--receipts EXPORT_FOLDER]… [--json] | unlock <dataset> --note TEXT [--force] [--yes] | export <dataset> [--format json|csv] [--out FILE]';

class VerificationFailed extends Error {
  readonly exitCode = 1;
}

function fmt(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(6))) : '∞';
}

function withLedger<T>(fn: (ledger: Ledger) => T): T {
  const ledger = openLedger(defaultLedgerPath());
  try {
    return fn(ledger);
  } finally {
    ledger.close();
  }
}

/** A dataset argument: its id, or a display name that names exactly one dataset. */
function resolveDataset(ledger: Ledger, argument: string | undefined): string {
  return resolveDatasetArgument(ledger, argument, USAGE);
}

function datasetJson(d: DatasetInfo) {
  return {
    id: d.id,
    name: d.name,
    createdAt: d.createdAt,
    privacyUnit: d.privacyUnit,
    memberCount: d.memberCount,
    epsilonCap: d.epsilonCap,
    delta: d.delta,
    charges: d.charges,
    cumulativeEpsilon: d.cumulativeEpsilon,
    remainingEpsilon: d.remainingEpsilon,
    locked: d.locked,
    lockedReason: d.lockedReason ?? null,
  };
}

function listCommand(argv: string[], io: CommandIO): number {
  const flags = parseFlags(argv, { json: { type: 'boolean' } });
  const path = defaultLedgerPath();
  if (!existsSync(path)) {
    if (flags.values.json) printJson(io, { ledger: path, datasets: [] });
    else io.stdout(`no ledger yet at ${path}\n`);
    return 0;
  }
  const datasets = withLedger((ledger) => ledger.listDatasets());
  if (flags.values.json) {
    printJson(io, { ledger: path, datasets: datasets.map(datasetJson) });
    return 0;
  }
  if (datasets.length === 0) {
    io.stdout(`no datasets in ${path}\n`);
    return 0;
  }
  const lines = datasets.map(
    (d) => `${d.id}  ${d.name}  ${d.memberCount} images  ${d.charges} queries  ε ${fmt(d.cumulativeEpsilon)} of ${fmt(d.epsilonCap)} (δ ${d.delta})${d.locked ? '  LOCKED' : ''}`,
  );
  io.stdout(`${lines.join('\n')}\n`);
  return 0;
}

function showCommand(argv: string[], io: CommandIO): number {
  const flags = parseFlags(argv, { json: { type: 'boolean' } }, 1);
  return withLedger((ledger) => {
    const id = resolveDataset(ledger, flags.positionals[0]);
    const dataset = ledger.getDataset(id);
    const charges = ledger.charges(id);
    if (flags.values.json) {
      printJson(io, {
        dataset: datasetJson(dataset),
        // every field but the RDP vectors and the previous-row hash (`verify` recomputes those)
        charges: charges.map(({ rdp: _rdp, cumulativeRdp: _cumulative, prevHash: _prev, ...charge }) => charge),
        events: ledger.events(id),
      });
      return 0;
    }
    const lines = [
      `${dataset.name} (${dataset.id}), created ${dataset.createdAt}`,
      `  ${dataset.memberCount} images (privacy unit: ${dataset.privacyUnit}), declared ${describeSizeClass(dataset.sizeClass)}; Rényi order α = ${dataset.filter.order}`,
      `  spent ε = ${fmt(dataset.cumulativeEpsilon)} of cap ${fmt(dataset.epsilonCap)} at δ = ${dataset.delta}; remaining ${fmt(dataset.remainingEpsilon)}; ${charges.length} queries`,
      dataset.locked ? `  LOCKED since ${dataset.lockedAt}: ${dataset.lockedReason}` : '  not locked',
      ...charges.map(
        (c) => `  #${c.seq} ${c.createdAt} ${c.kind} q=${fmt(c.q)} σ=${fmt(c.sigma)} k=${c.k} λ=${fmt(c.lambda)}  ε this ${fmt(c.epsilonCost)}  total ${fmt(c.cumulativeEpsilon)}  ${JSON.stringify(c.purpose)}`,
      ),
    ];
    io.stdout(`${lines.join('\n')}\n`);
    return 0;
  });
}

/** The ledger heads an export recorded (manifest.json's `ledgerHeads`), for one dataset. */
function receiptsOf(folder: string, datasetId: string): { seq: number; hash: string }[] {
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8'));
  } catch (error) {
    throw new UsageError(`--receipts: cannot read ${join(folder, 'manifest.json')} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); give an export folder`);
  }
  const heads = (manifest as { ledgerHeads?: unknown }).ledgerHeads;
  if (!Array.isArray(heads)) throw new UsageError('--receipts: that manifest records no ledger heads (exports made before studio schema 2 do not)');
  return heads
    .filter((h): h is { datasetId: string; seq: number; hash: string } => typeof h === 'object' && h !== null && (h as { datasetId?: unknown }).datasetId === datasetId)
    .map((h) => ({ seq: h.seq, hash: h.hash }));
}

/** A request as every transport sends it: validated by the contract's schema, then handled. */
function call<C extends StudioChannel>(service: StudioService, channel: C, payload: unknown): Promise<StudioResponses[C]> {
  return service.handlers[channel](parseRequest(channel, payload), {});
}

async function verifyCommand(argv: string[], io: CommandIO): Promise<number> {
  const flags = parseFlags(argv, { json: { type: 'boolean' }, receipts: { type: 'string', multiple: true } }, 1);
  const folders = (flags.values.receipts as string[] | undefined) ?? [];
  const ref = flags.positionals[0];
  if (ref === undefined) throw new UsageError(`a dataset id or name is required; ${USAGE}`);
  return withStudioService(io, {}, async (service) => {
    const datasetId = withLedger((ledger) => resolveDataset(ledger, ref));
    const wanted = folders.flatMap((folder) => receiptsOf(folder, datasetId).map((head) => ({ folder, ...head })));
    if (folders.length > 0 && wanted.length === 0) throw new UsageError(`--receipts: no export there recorded a ledger head of ${datasetId}`);
    const report = await call(service, 'ledger.verify', { datasetId, ...(wanted.length > 0 ? { heads: wanted.map(({ seq, hash }) => ({ seq, hash })) } : {}) });
    const receipts = wanted.map((r, i) => ({ ...r, held: report.heads?.[i]?.held === true }));
    const missing = receipts.filter((r) => !r.held);
    if (flags.values.json) printJson(io, { datasetId, ...report, receipts });
    else if (report.ok) {
      io.stdout(`ok: ${datasetId} — ${report.checkedRows} entries, hash chain and totals verified, ε used = ${fmt(report.spentEpsilon)}\n`);
      for (const r of receipts) io.stdout(`  ${r.held ? 'ok' : 'MISSING'}: head #${r.seq} ${r.hash.slice(0, 16)}… recorded by ${r.folder}\n`);
    } else {
      io.stdout(
        [`FAILED: ${datasetId} — ${report.problems.length} problem(s); the dataset is locked`, ...report.problems.map((p) => `  ${p.seq === null ? 'ledger' : `charge #${p.seq}`}: ${p.problem}`), ''].join('\n'),
      );
    }
    if (report.ok && missing.length > 0) {
      throw new VerificationFailed(`the ledger of ${datasetId} no longer holds entry #${missing[0]!.seq} as the export in ${missing[0]!.folder} recorded it: it was rolled back or rewritten after that export`);
    }
    if (!report.ok) {
      const first = report.problems[0];
      throw new VerificationFailed(`verification of ${datasetId} failed at ${first?.seq === null || first === undefined ? 'the ledger header' : `charge #${first.seq}`}: ${first?.problem ?? 'unknown'}`);
    }
    return 0;
  });
}

/**
 * The curator's unlock of a locked dataset, with their note. It asks for confirmation (type the dataset's id) unless
 * --yes; without a terminal it needs --yes. A forced unlock (--force) is recorded as one.
 */
async function unlockCommand(argv: string[], io: CommandIO, confirm: (question: string) => Promise<string | undefined>): Promise<number> {
  const flags = parseFlags(argv, { note: { type: 'string' }, force: { type: 'boolean' }, yes: { type: 'boolean' }, json: { type: 'boolean' } }, 1);
  const ref = flags.positionals[0];
  if (ref === undefined) throw new UsageError(`a dataset id or name is required; ${USAGE}`);
  const note = optionalString(flags, 'note');
  if (note === undefined || note.trim() === '') throw new UsageError('--note is required: say why the dataset may be unlocked (it is recorded in the ledger)');
  const datasetId = withLedger((ledger) => resolveDataset(ledger, ref));
  if (flags.values.yes !== true) {
    const answer = await confirm(`Unlock ${datasetId}${flags.values.force ? ' even though verification fails' : ''}? Its spend is kept; the note is recorded. Type the dataset id to confirm: `);
    if (answer === undefined) throw new UsageError('unlock needs a confirmation: run it in a terminal, or pass --yes');
    if (answer.trim() !== datasetId) throw new UsageError('not confirmed; nothing was changed');
  }
  return withStudioService(io, {}, async (service) => {
    const result = await call(service, 'ledger.unlock', { datasetId, note, confirm: true, force: flags.values.force === true });
    if (flags.values.json) printJson(io, { datasetId, ...result });
    else io.stdout(`unlocked ${datasetId}${result.forced ? ' (forced: verification still fails)' : ''}; ε ${fmt(result.budget.spentEpsilon)} of ${fmt(result.budget.epsilonCap)} used\n`);
    return 0;
  });
}

/** A line from the terminal, or undefined when stdin is not one. */
async function askTerminal(question: string): Promise<string | undefined> {
  if (!process.stdin.isTTY) return undefined;
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}

function exportCommand(argv: string[], io: CommandIO): number {
  const flags = parseFlags(argv, { format: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } }, 1);
  const format = optionalChoice(flags, 'format', ['json', 'csv'] as const) ?? 'json';
  if (flags.values.json && format !== 'json') throw new UsageError('--json conflicts with --format csv');
  const out = optionalString(flags, 'out');
  if (out !== undefined && out.length === 0) throw new UsageError('--out needs a file name');
  const { text, meta } = withLedger((ledger) => {
    const id = resolveDataset(ledger, flags.positionals[0]);
    return { text: exportLedger(ledger, id, format), meta: format === 'csv' && out !== undefined ? ledgerMetadata(ledger, id) : undefined };
  });
  if (out === undefined) io.stdout(text);
  else {
    writeFileSync(out, text, { mode: 0o600 });
    // a CSV file stays plain; its statement and the dataset's metadata go beside it
    if (meta !== undefined) writeFileSync(`${out}.meta.json`, meta, { mode: 0o600 });
    io.stderr(`wrote ${out}${meta !== undefined ? ` and ${out}.meta.json` : ''}\n`);
  }
  return 0;
}

export async function ledgerCommand(argv: string[], io: CommandIO, confirm: (question: string) => Promise<string | undefined> = askTerminal): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'list':
      return listCommand(rest, io);
    case 'show':
      return showCommand(rest, io);
    case 'verify':
      return verifyCommand(rest, io);
    case 'unlock':
      return unlockCommand(rest, io, confirm);
    case 'export':
      return exportCommand(rest, io);
    default:
      throw new UsageError(`${USAGE}${sub === undefined ? '' : ` (unknown "${sub}")`}`);
  }
}
