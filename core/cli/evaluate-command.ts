/**
 * `dprdm evaluate`: the curator's utility evaluation of a dataset through the studio service (`evaluate.run`):
 * FD, prompt agreement and judge accuracy for public-only retrieval, DP retrieval at several total budgets and the
 * non-private σ = 0 reference, as a table (terminal or --json) and a plot. Its DP queries are charged to the
 * dataset's ledger as 'audit' entries; --dry-run only prints the plan and what it would cost.
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseRequest, StudioError, type EvaluationReport, type StudioEvent } from '../contract/contract.ts';
import { DEMO_DATASET_NAME } from '../studio/service.ts';
import { terminalTable } from '../evaluation/table.ts';
import { indexProgress } from './progress-bar.ts';
import { optionalNumber, optionalString, parseFlags, parseNumber, requireString } from './flags.ts';
import { printJson, type CommandIO } from './io.ts';
import { progressBar } from './progress-bar.ts';
import { UsageError } from './usage-error.ts';
import { withStudioService } from './with-studio-service.ts';

const FLAGS = {
  dataset: { type: 'string' },
  budgets: { type: 'string' },
  queries: { type: 'string' },
  q: { type: 'string' },
  lambda: { type: 'string' },
  k: { type: 'string' },
  prompts: { type: 'string' },
  seeds: { type: 'string' },
  steps: { type: 'string' },
  guidance: { type: 'string' },
  'held-out': { type: 'string' },
  'split-seed': { type: 'string' },
  captions: { type: 'string' },
  out: { type: 'string' },
  'dry-run': { type: 'boolean' },
  'confirm-non-private': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

function captionsFile(path: string | undefined): Record<string, unknown> | undefined {
  if (path === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`--captions: cannot read a JSON object from ${path}: ${(error as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UsageError('--captions must be a JSON object from image paths to captions');
  return parsed as Record<string, unknown>;
}

export async function evaluateCommand(argv: string[], io: CommandIO): Promise<number> {
  const flags = parseFlags(argv, FLAGS);
  const datasetRef = requireString(flags, 'dataset');
  const budgetsText = optionalString(flags, 'budgets');
  const raw = {
    datasetId: 'pending',
    budgets: budgetsText === undefined ? undefined : budgetsText.split(',').map((b) => parseNumber('budgets', b)),
    plannedQueries: optionalNumber(flags, 'queries'),
    q: optionalNumber(flags, 'q'),
    lambda: optionalNumber(flags, 'lambda'),
    k: optionalNumber(flags, 'k'),
    prompts: optionalNumber(flags, 'prompts'),
    seeds: optionalNumber(flags, 'seeds'),
    steps: optionalNumber(flags, 'steps'),
    guidance: optionalNumber(flags, 'guidance'),
    heldOutFraction: optionalNumber(flags, 'held-out'),
    splitSeed: optionalNumber(flags, 'split-seed'),
    captions: captionsFile(optionalString(flags, 'captions')),
    dryRun: flags.values['dry-run'] === true,
    confirmNonPrivate: flags.values['confirm-non-private'] === true,
  };
  let request;
  try {
    request = parseRequest('evaluate.run', JSON.parse(JSON.stringify(raw)) as unknown);
  } catch (error) {
    if (error instanceof StudioError) throw new UsageError(error.message.replace(/^evaluate\.run: /, ''));
    throw error;
  }
  const out = optionalString(flags, 'out');

  return withStudioService(io, {}, async (service) => {
    if (datasetRef.toLowerCase() === DEMO_DATASET_NAME.toLowerCase()) await service.ensureDemoDataset(indexProgress(io, 'indexing the Demo dataset'));
    const datasetId = service.resolveDatasetRef(datasetRef);
    const bar = progressBar(io, 'evaluating');
    const unsubscribe = service.subscribe((e: StudioEvent) => {
      if (e.type === 'progress' && e.task === 'evaluate') bar?.(e.done, e.total);
    });
    let report: EvaluationReport;
    try {
      report = await service.handlers['evaluate.run']({ ...request, datasetId }, {});
    } finally {
      unsubscribe();
    }
    let files: string[] = [];
    if (report.folder) {
      const names = ['evaluation.json', 'evaluation.md', 'plot.png'];
      files = names.map((n) => join(report.folder!, n));
      if (out) {
        const target = resolve(out);
        mkdirSync(target, { recursive: true });
        for (const n of names) copyFileSync(join(report.folder, n), join(target, n));
        files = names.map((n) => join(target, n));
      }
    }
    if (flags.values.json) printJson(io, { ...report, plotPng: files.find((f) => f.endsWith('.png')) ?? null, files });
    else io.stdout(`${terminalTable(report)}${files.length ? `files: ${files.join(', ')}\n` : ''}`);
    return 0;
  });
}
