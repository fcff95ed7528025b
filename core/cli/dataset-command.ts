/** `dprdm dataset add|import|sync|list|show|remove`: index private folders, through the studio façade like every face. */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { describeSizeClass, isSizeClass, type SizeClass } from '../ledger/index.ts';
import { parseRequest, STORE_PRECISIONS, type DatasetSummary, type IndexedSummary, type StudioChannel, type StudioEvent, type StudioResponses } from '../contract/contract.ts';
import type { StorePrecision } from '../privacy/index.ts';
import type { StudioService } from '../studio/service.ts';
import { optionalNumber, optionalString, parseFlags } from './flags.ts';
import { forPeople, printJson, type CommandIO } from './io.ts';
import { indexProgress, progressBar } from './progress-bar.ts';
import { UsageError } from './usage-error.ts';
import { withStudioService } from './with-studio-service.ts';

/** n thing(s), as a person writes it. */
const count = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

/** `--precision float16`: how a new dataset's private store keeps its embeddings. */
function precisionFlag(text: string | undefined): { precision?: StorePrecision } {
  if (text === undefined) return {};
  if (!(STORE_PRECISIONS as readonly string[]).includes(text)) throw new UsageError(`--precision must be ${STORE_PRECISIONS.join(' or ')}, got "${text}"`);
  return { precision: text as StorePrecision };
}

/** `--size-class 2000-5000`: the class the curator declares (public; fixes δ and q). */
function sizeClassFlag(text: string | undefined): { sizeClass?: SizeClass } {
  if (text === undefined) return {};
  const m = /^(\d+)-(\d+)$/.exec(text.trim());
  const sizeClass = m ? { lower: Number(m[1]), upper: Number(m[2]) } : undefined;
  if (!sizeClass || !isSizeClass(sizeClass)) throw new UsageError(`--size-class must be one of the classes LOWER-UPPER of the 1–2–5 series (…, 1000-2000, 2000-5000, 5000-10000, …), got "${text}"`);
  return { sizeClass };
}

/** A request as every transport sends it: validated by the contract's schema, then handled. */
function call<C extends StudioChannel>(service: StudioService, channel: C, payload: unknown): Promise<StudioResponses[C]> {
  return service.handlers[channel](parseRequest(channel, payload), {});
}

/** What the ledger fixed for the dataset, from public numbers (shown so the curator can check it). */
function planLine(d: DatasetSummary): string {
  const p = d.defaults;
  return (
    `  declared ${describeSizeClass(p.sizeClass)} (public: fixes δ = ${p.delta} and q = ${forPeople(p.q)}); cap ε ${d.budget.epsilonCap}, ` +
    `Rényi order α = ${p.order}, planned for ${p.plannedGenerations} generations at ε ${forPeople(p.epsilon)} each; ε ${forPeople(d.budget.spentEpsilon)} used\n`
  );
}

function filesLine(d: DatasetSummary): string {
  return `${count(d.imageCount, 'image')} (${count(d.imageCount + d.duplicateCount, 'file')}, ${count(d.duplicateCount, 'duplicate')}, ${d.quarantinedCount} quarantined)`;
}

function printIndexed(io: CommandIO, d: IndexedSummary): void {
  const c = d.run.counts;
  io.stdout(
    `${d.id} "${d.name}": ${filesLine(d)}\n` +
      `  this run: ${c.read} read, ${c.embedded} embedded, ${c.reused} reused, ${c.unchanged} unchanged, ${c.removed} removed, ${c.quarantined} quarantined in ${d.run.seconds.toFixed(1)} s\n` +
      planLine(d) +
      d.run.warnings.map((w) => `  note: ${w}\n`).join(''),
  );
}

export async function datasetCommand(argv: string[], io: CommandIO): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'add' || sub === 'sync') {
    const flags = parseFlags(rest, { name: { type: 'string' }, 'epsilon-cap': { type: 'string' }, 'planned-generations': { type: 'string' }, 'size-class': { type: 'string' }, precision: { type: 'string' }, model: { type: 'string' }, json: { type: 'boolean' } }, 1);
    const target = flags.positionals[0];
    if (target === undefined) throw new UsageError(`usage: dprdm dataset ${sub} <${sub === 'add' ? 'folder' : 'id or name'}>`);
    if (sub === 'sync' && flags.values.precision !== undefined) throw new UsageError('--precision is chosen when a dataset is added; sync keeps it');
    const request = {
      ...sizeClassFlag(optionalString(flags, 'size-class')),
      ...precisionFlag(optionalString(flags, 'precision')),
      ...(optionalString(flags, 'name') !== undefined ? { name: optionalString(flags, 'name') } : {}),
      ...(optionalNumber(flags, 'epsilon-cap') !== undefined ? { epsilonCap: optionalNumber(flags, 'epsilon-cap') } : {}),
      ...(optionalNumber(flags, 'planned-generations') !== undefined ? { plannedGenerations: optionalNumber(flags, 'planned-generations') } : {}),
    };
    const model = optionalString(flags, 'model');
    return withStudioService(io, model !== undefined ? { modelDir: model } : {}, async (service) => {
      const jobId = randomUUID();
      const bar = indexProgress(io);
      const unsubscribe = service.subscribe((e: StudioEvent) => {
        if (e.type === 'progress' && e.jobId === jobId) bar?.({ filesDone: e.done, filesTotal: e.total, ratePerSecond: e.ratePerSecond ?? 0, etaSeconds: e.etaSeconds });
      });
      try {
        const indexed = sub === 'add' ? await call(service, 'datasets.add', { folder: target, jobId, ...request }) : await call(service, 'datasets.sync', { datasetId: service.resolveDatasetRef(target), jobId });
        if (flags.values.json) printJson(io, indexed);
        else printIndexed(io, indexed);
        return 0;
      } finally {
        unsubscribe();
      }
    });
  }
  if (sub === 'import') {
    const flags = parseFlags(rest, { ids: { type: 'string' }, name: { type: 'string' }, 'epsilon-cap': { type: 'string' }, 'planned-generations': { type: 'string' }, 'size-class': { type: 'string' }, precision: { type: 'string' }, json: { type: 'boolean' } }, 1);
    const file = flags.positionals[0];
    if (file === undefined) throw new UsageError('usage: dprdm dataset import <embeddings.parquet | embeddings.npy --ids ids.txt> [--name NAME] [--epsilon-cap E] [--size-class L-U] [--planned-generations G] [--precision float32|float16]');
    const ids = optionalString(flags, 'ids');
    const request = {
      file: resolve(file),
      ...(ids !== undefined ? { ids: resolve(ids) } : {}),
      ...sizeClassFlag(optionalString(flags, 'size-class')),
      ...precisionFlag(optionalString(flags, 'precision')),
      ...(optionalString(flags, 'name') !== undefined ? { name: optionalString(flags, 'name') } : {}),
      ...(optionalNumber(flags, 'epsilon-cap') !== undefined ? { epsilonCap: optionalNumber(flags, 'epsilon-cap') } : {}),
      ...(optionalNumber(flags, 'planned-generations') !== undefined ? { plannedGenerations: optionalNumber(flags, 'planned-generations') } : {}),
    };
    return withStudioService(io, {}, async (service) => {
      const jobId = randomUUID();
      const bar = progressBar(io, 'importing');
      const unsubscribe = service.subscribe((e: StudioEvent) => {
        if (e.type === 'progress' && e.jobId === jobId) bar?.(e.done, e.total);
      });
      try {
        const imported = await call(service, 'datasets.import', { ...request, jobId });
        if (flags.values.json) printJson(io, imported);
        else io.stdout(`${imported.id} "${imported.name}": ${count(imported.importedRows, 'image')} imported in ${imported.seconds.toFixed(1)} s\n` + planLine(imported));
        return 0;
      } finally {
        unsubscribe();
      }
    });
  }
  if (sub === 'list' || sub === 'show' || sub === 'remove') {
    const flags = parseFlags(rest, { json: { type: 'boolean' } }, sub === 'list' ? 0 : 1);
    const ref = flags.positionals[0];
    if (sub !== 'list' && ref === undefined) throw new UsageError(`usage: dprdm dataset ${sub} <id or name>`);
    return withStudioService(io, {}, async (service) => {
      if (sub === 'list') {
        const all = await call(service, 'datasets.list', {});
        if (flags.values.json) printJson(io, { datasets: all });
        else io.stdout(all.map((d) => `${d.id}  ${d.name}  ${count(d.imageCount, 'image')}  ${d.quarantinedCount} quarantined  ε ${forPeople(d.budget.spentEpsilon)} of ${d.budget.epsilonCap}${d.indexMatchesLedger ? '' : '  (sync needed)'}\n`).join('') || 'no datasets\n');
        return 0;
      }
      const datasetId = service.resolveDatasetRef(ref!);
      if (sub === 'remove') {
        const result = await call(service, 'datasets.remove', { datasetId });
        if (flags.values.json) printJson(io, { datasetId, ...result, ledgerKept: true });
        else io.stdout(`removed the index of ${datasetId} (your files and the privacy ledger are untouched)\n`);
        return 0;
      }
      const details = await call(service, 'datasets.show', { datasetId });
      if (flags.values.json) printJson(io, details);
      else {
        io.stdout(
          `${details.id} "${details.name}" model ${details.modelSet}\n  folder ${details.folder}\n  ${filesLine(details)}\n` +
            planLine(details) +
            details.quarantined.map((q) => `  quarantined ${JSON.stringify(q.path)}: ${q.reason}\n`).join('') +
            details.duplicates.map((d) => `  duplicate ${JSON.stringify(d.path)} of ${JSON.stringify(d.duplicateOf)}\n`).join(''),
        );
      }
      return 0;
    });
  }
  throw new UsageError(`usage: dprdm dataset add|import|sync|list|show|remove${sub === undefined ? '' : ` (unknown "${sub}")`}`);
}
