/** `dprdm dataset add|sync|list|show|remove`: index private folders (core/datasets). */
import { defaultLedgerPath, describeSizeClass, isSizeClass, openLedger, type DatasetInfo, type SizeClass } from '../ledger/index.ts';
import { addDataset, listDatasets, openModelEmbedder, removeDataset, showDataset, syncDataset, type IndexProgress } from '../datasets/index.ts';
import { optionalNumber, optionalString, parseFlags } from './flags.ts';
import { printJson, type CommandIO } from './io.ts';
import { progressBar } from './progress-bar.ts';
import { UsageError } from './usage-error.ts';
import { plannedSpend } from '../generation/parameters.ts';
import { resolveDatasetArgument } from './dataset-ref.ts';

/** n thing(s), as a person writes it. */
const count = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

/** Indexing progress: files done, rate and ETA. */
export function indexProgress(io: CommandIO, label = 'indexing'): ((p: IndexProgress) => void) | undefined {
  const line = progressBar(io, label);
  if (!line) return undefined;
  return (p) => line(p.filesDone, p.filesTotal, `${p.ratePerSecond.toFixed(0)} files/s${p.etaSeconds === undefined ? '' : ` ETA ${Math.ceil(p.etaSeconds)}s`}`);
}

/** `--size-class 2000-5000`: the class the curator declares (public; fixes δ and q). */
function sizeClassFlag(text: string | undefined): { sizeClass?: SizeClass } {
  if (text === undefined) return {};
  const m = /^(\d+)-(\d+)$/.exec(text.trim());
  const sizeClass = m ? { lower: Number(m[1]), upper: Number(m[2]) } : undefined;
  if (!sizeClass || !isSizeClass(sizeClass)) throw new UsageError(`--size-class must be one of the classes LOWER-UPPER of the 1–2–5 series (…, 1000-2000, 2000-5000, 5000-10000, …), got "${text}"`);
  return { sizeClass };
}

/** What the ledger fixed for the dataset, from public numbers (shown so the curator can check it). */
function planLine(d: DatasetInfo): string {
  const each = plannedSpend(d);
  return (
    `  declared ${describeSizeClass(d.sizeClass)} (public: fixes δ = ${d.delta} and q = ${Number(d.q.toPrecision(3))}); cap ε ${d.epsilonCap}, ` +
    `Rényi order α = ${d.filter.order}, planned for ${d.plannedGenerations} generations at ε ${Number(each.toPrecision(3))} each; ε ${Number(d.cumulativeEpsilon.toPrecision(3))} used\n`
  );
}

export async function datasetCommand(argv: string[], io: CommandIO): Promise<number> {
  const [sub, ...rest] = argv;
  const ledgerPath = defaultLedgerPath();
  if (sub === 'add' || sub === 'sync') {
    const flags = parseFlags(rest, { name: { type: 'string' }, 'epsilon-cap': { type: 'string' }, 'planned-generations': { type: 'string' }, 'size-class': { type: 'string' }, model: { type: 'string' }, json: { type: 'boolean' } }, 1);
    const target = flags.positionals[0];
    if (target === undefined) throw new UsageError(`usage: dprdm dataset ${sub} <${sub === 'add' ? 'folder' : 'id'}>`);
    const embedder = await openModelEmbedder(optionalString(flags, 'model'));
    const ledger = openLedger(ledgerPath, sub === 'add' ? { forbiddenRoots: [target] } : {});
    const onProgress = indexProgress(io);
    try {
      const report =
        sub === 'add'
          ? await addDataset({ folder: target, name: optionalString(flags, 'name'), epsilonCap: optionalNumber(flags, 'epsilon-cap'), plannedGenerations: optionalNumber(flags, 'planned-generations'), ...sizeClassFlag(optionalString(flags, 'size-class')), embedder, ledger, ...(onProgress ? { onProgress } : {}) })
          : await syncDataset(resolveDatasetArgument(ledger, target, 'usage: dprdm dataset sync <id or name>'), { embedder, ledger, ...(onProgress ? { onProgress } : {}) });
      if (flags.values.json) printJson(io, report);
      else {
        const c = report.counts;
        io.stdout(
          `${report.datasetId} "${report.name}": ${count(report.members, 'image')} (${count(report.filesIndexed, 'file')}, ${count(report.duplicateFiles, 'duplicate')}, ${report.filesQuarantined} quarantined)\n` +
            `  this run: ${c.read} read, ${c.embedded} embedded, ${c.reused} reused, ${c.unchanged} unchanged, ${c.removed} removed, ${c.quarantined} quarantined in ${(report.timings.totalMs / 1000).toFixed(1)} s\n` +
            planLine(ledger.getDataset(report.datasetId)) +
            report.warnings.map((w) => `  note: ${w}\n`).join(''),
        );
      }
      return 0;
    } finally {
      ledger.close();
      await embedder.close();
    }
  }
  if (sub === 'list' || sub === 'show' || sub === 'remove') {
    const flags = parseFlags(rest, { json: { type: 'boolean' } }, sub === 'list' ? 0 : 1);
    if (sub !== 'list' && flags.positionals[0] === undefined) throw new UsageError(`usage: dprdm dataset ${sub} <id or name>`);
    const named = (): string => {
      const ledger = openLedger(ledgerPath);
      try {
        return resolveDatasetArgument(ledger, flags.positionals[0], `usage: dprdm dataset ${sub} <id or name>`);
      } finally {
        ledger.close();
      }
    };
    const id = sub === 'list' ? undefined : named();
    if (sub === 'remove') {
      const result = removeDataset(id!);
      if (flags.values.json) printJson(io, { ...result, ledgerKept: true });
      else io.stdout(`removed the index of ${id} (your files and the privacy ledger are untouched)\n`);
      return 0;
    }
    const ledger = openLedger(ledgerPath);
    try {
      if (sub === 'list') {
        const all = listDatasets({ ledger });
        if (flags.values.json) printJson(io, { datasets: all });
        else io.stdout(all.map((d) => `${d.datasetId}  ${d.name}  ${d.members} images  ${d.filesQuarantined} quarantined  ${d.folder}\n`).join('') || 'no datasets\n');
        return 0;
      }
      const details = showDataset(id!, { ledger });
      if (flags.values.json) printJson(io, details);
      else {
        io.stdout(
          `${details.datasetId} "${details.name}" (${details.kind}) model ${details.modelSet}\n  folder ${details.folder}\n  ${count(details.members, 'image')}, ${count(details.filesIndexed, 'file')}, ${count(details.duplicateFiles, 'duplicate')}, ${details.filesQuarantined} quarantined\n` +
            details.quarantined.map((q) => `  quarantined ${JSON.stringify(q.path)}: ${q.reason}\n`).join('') +
            details.duplicates.map((d) => `  duplicates: ${d.paths.map((p) => JSON.stringify(p)).join(', ')}\n`).join(''),
        );
      }
      return 0;
    } finally {
      ledger.close();
    }
  }
  throw new UsageError(`usage: dprdm dataset add|sync|list|show|remove${sub === undefined ? '' : ` (unknown "${sub}")`}`);
}
