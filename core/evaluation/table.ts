/** The evaluation table as terminal text and as markdown (both from the same rows). */
import type { EvaluationReport, EvaluationRow } from '../contract/contract.ts';

const f4 = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(4));
const f3 = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(3));
const sig = (v: number | null) => (v === null ? '–' : Number(v.toPrecision(3)).toString());

function cells(row: EvaluationRow): string[] {
  return [
    row.label,
    row.epsilonTotal === null ? '–' : String(row.epsilonTotal),
    sig(row.sigma),
    row.epsilonPerQuery === null ? '–' : Number(row.epsilonPerQuery.toPrecision(3)).toString(),
    `${f4(row.fd)} [${f4(row.fdInterval.low)}, ${f4(row.fdInterval.high)}]`,
    row.fdPerSeed.map(f4).join(' '),
    f3(row.agreement),
    f3(row.judgeAccuracy),
    row.differentiallyPrivate ? 'yes' : row.setting === 'public-only' ? 'no private data' : 'NO (curator only)',
  ];
}

const HEADER = ['setting', 'ε total (T queries)', 'σ', 'ε / query', 'FD ↓ [95% CI]', 'FD per seed', 'agreement ↑', 'judge acc ↑', 'private?'];

function parameterLine(r: EvaluationReport): string {
  const p = r.parameters;
  return `T = ${p.plannedQueries} planned queries, q = ${p.q}, k = ${p.k}, λ = ${p.lambda}, δ = ${p.delta}, ${p.prompts} prompts × ${p.seeds} seeds, DDIM ${p.steps} steps, guidance ${p.guidance}; ${p.heldOutImages} held-out images (split seed ${p.splitSeed}), ${p.retrievalImages} retrieved from; model set ${p.modelSet}`;
}

function auditLine(r: EvaluationReport): string {
  const a = r.audit;
  return `${r.dryRun ? 'planned' : 'charged'}: ${r.dryRun ? a.queries : a.charged} audit queries, ε ${a.epsilon.toFixed(3)} on their own; dataset ε ${a.cumulativeEpsilonBefore.toFixed(3)} → ${a.cumulativeEpsilonAfter.toFixed(3)} of ${a.epsilonCap} (δ ${a.delta})${a.fits ? '' : ' — DOES NOT FIT'}`;
}

export function verdictLine(r: EvaluationReport): string {
  return r.verdict ? r.verdict.summary : 'no verdict (dry run)';
}

export function terminalTable(r: EvaluationReport): string {
  const rows = r.rows.map(cells);
  const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map((c) => c[i]!.length)));
  const line = (c: readonly string[]) => c.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [
    `Evaluation of “${r.datasetName}” (${r.evaluationId})`,
    parameterLine(r),
    auditLine(r),
    '',
    ...(rows.length ? [line(HEADER), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)] : ['(dry run: nothing generated)']),
    '',
    verdictLine(r),
    ...r.warnings.map((w) => `warning: ${w}`),
    '',
    r.notice,
    ...(r.folder ? [`report: ${r.folder}`] : []),
    '',
  ].join('\n');
}

export function markdownTable(r: EvaluationReport): string {
  const row = (c: readonly string[]) => `| ${c.join(' | ')} |`;
  return [
    `# Utility evaluation: ${r.datasetName}`,
    '',
    `${parameterLine(r)}.`,
    '',
    `Audit cost — ${auditLine(r)}.`,
    '',
    row(HEADER),
    row(HEADER.map(() => '---')),
    ...r.rows.map((x) => row(cells(x))),
    '',
    `**Verdict:** ${verdictLine(r)}`,
    '',
    ...r.warnings.map((w) => `- warning: ${w}`),
    ...(r.warnings.length ? [''] : []),
    `> ${r.notice}`,
    '',
  ].join('\n');
}
