/**
 * Pure arithmetic and wording for the UI: the log-scale ε slider, budget meter levels, number formats and the
 * ledger chart geometry. No Svelte, no DOM: the component tests exercise these directly.
 */
import { SPENT_SHARE, type BudgetSummary, type LedgerEntry } from '../../../core/contract/contract.ts';

// ---- the ε slider (log scale) ----------------------------------------------------------------------------------

export const EPSILON_MIN = 0.01;
export const EPSILON_MAX = 10;
/** The slider's integer resolution: position 0 ↔ ε_min, SLIDER_STEPS ↔ ε_max. */
export const SLIDER_STEPS = 1000;

/** Rounds to two significant digits, so slider values read as 0.05, 0.12, 1.5, not 0.0493817. */
export function niceNumber(x: number): number {
  if (!Number.isFinite(x) || x <= 0) return x;
  const magnitude = 10 ** (Math.floor(Math.log10(x)) - 1);
  return Math.round(x / magnitude) * magnitude;
}

export function epsilonFromSlider(position: number, min = EPSILON_MIN, max = EPSILON_MAX): number {
  const t = Math.min(1, Math.max(0, position / SLIDER_STEPS));
  const value = Math.exp(Math.log(min) + t * (Math.log(max) - Math.log(min)));
  return Math.min(max, Math.max(min, Number(niceNumber(value).toPrecision(2))));
}

export function sliderFromEpsilon(epsilon: number, min = EPSILON_MIN, max = EPSILON_MAX): number {
  if (!(epsilon > 0)) return 0;
  const t = (Math.log(epsilon) - Math.log(min)) / (Math.log(max) - Math.log(min));
  return Math.round(Math.min(1, Math.max(0, t)) * SLIDER_STEPS);
}

// ---- numbers ---------------------------------------------------------------------------------------------------

/** ε values: three significant digits, no exponent for the range people see (0.001 … 1000). */
export function formatEpsilon(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  if (x === 0) return '0';
  const abs = Math.abs(x);
  if (abs >= 100) return x.toFixed(0);
  if (abs >= 0.001) return String(Number(x.toPrecision(3)));
  // people read 0.00062 more easily than 6.2e-4; below a millionth the number means nothing to them
  if (abs >= 1e-6) return x.toFixed(1 - Math.floor(Math.log10(abs)));
  return x > 0 ? '< 0.000001' : '> −0.000001';
}

export function formatSigma(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  return x >= 0.01 ? String(Number(x.toPrecision(3))) : x.toExponential(2);
}

export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '∞';
  return Math.floor(n).toLocaleString('en-US');
}

export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 1) return 'under a second';
  if (seconds < 90) return `${Math.round(seconds)} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `${minutes} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export function formatRate(perSecond: number | undefined, unit: string): string {
  if (perSecond === undefined || !Number.isFinite(perSecond)) return '—';
  return `${perSecond >= 10 ? Math.round(perSecond) : perSecond.toFixed(1)} ${unit}/s`;
}

export function formatTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString('en-GB', { year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** Words for the signal-to-noise ratio of the private condition (norm of the aggregate over σ√d). */
/** The planner's folder-influence word, for people (thresholds measured for the model set; core/ledger/planner.ts). */
export function influenceWords(influence: 'strong' | 'some' | 'weak'): string {
  if (influence === 'strong') return 'Folder influence: strong. Most images carry your folder’s look.';
  if (influence === 'some') return 'Folder influence: some. Your folder’s look shows in some images; spend more ε for more.';
  return 'Folder influence: weak. Images follow the prompt more than your folder; spend more ε per generation.';
}

/** n thing(s). */
export function plural(n: number, word: string): string {
  return `${formatCount(n)} ${word}${Math.floor(n) === 1 ? '' : 's'}`;
}

/** What a dataset's budget buys at its planned spend, and how the folder shows there (Datasets screen). */
export function capWords(d: { readonly defaults: { readonly epsilon: number; readonly influence: 'strong' | 'some' | 'weak' }; readonly budget: { readonly epsilonCap: number; readonly remainingEpsilon: number } }): string {
  const each = d.defaults.epsilon;
  const left = each > 0 ? Math.floor(d.budget.remainingEpsilon / each + 1e-9) : 0;
  const look =
    d.defaults.influence === 'strong'
      ? 'the folder’s look is strong'
      : d.defaults.influence === 'some'
        ? 'the folder’s look shows in some images; fewer, larger generations show it more'
        : 'the folder’s look is weak: a larger folder (or fewer, larger generations) shows it more';
  return `About ${plural(left, 'generation')} left at ε ${formatEpsilon(each)} each; there ${look}.`;
}

// ---- the budget meter ------------------------------------------------------------------------------------------

export type MeterLevel = 'ok' | 'low' | 'exhausted' | 'locked';

export interface MeterView {
  readonly remaining: number;
  readonly spent: number;
  readonly cap: number;
  /** 0..1 of the cap still available (the bar's filled part). */
  readonly fractionRemaining: number;
  readonly level: MeterLevel;
  /** Leads with what is left. */
  readonly headline: string;
  readonly detail: string;
}

/** Below this fraction of the cap the meter warns. */
export const LOW_BUDGET_FRACTION = 0.2;

export function meterView(budget: BudgetSummary): MeterView {
  const cap = budget.epsilonCap;
  const remaining = Math.max(0, budget.remainingEpsilon);
  const spent = Math.max(0, budget.spentEpsilon);
  const fractionRemaining = cap > 0 ? Math.min(1, Math.max(0, remaining / cap)) : 0;
  let level: MeterLevel = 'ok';
  if (budget.locked) level = 'locked';
  else if (!(remaining >= SPENT_SHARE * cap)) level = 'exhausted'; // what the ε control offers nothing for
  else if (fractionRemaining < LOW_BUDGET_FRACTION) level = 'low';
  const headline = level === 'locked' ? 'Ledger locked' : `ε ${formatEpsilon(remaining)} left`;
  // every charge: generations and an evaluation's audit queries alike
  const queries = `${budget.queries} private ${budget.queries === 1 ? 'query' : 'queries'}`;
  const detail =
    level === 'locked'
      ? `${budget.lockedReason ?? 'The ledger failed verification.'} Private generation is off; public-only still works.`
      : level === 'exhausted'
        ? `Budget spent (ε ${formatEpsilon(spent)} of ${formatEpsilon(cap)}). Public-only mode still works; these images keep their spend in any other dataset.`
        : `of ε ${formatEpsilon(cap)} · spent ${formatEpsilon(spent)} on ${queries} · δ ${budget.delta.toExponential(0)}`;
  return { remaining, spent, cap, fractionRemaining, level, headline, detail };
}

// ---- the ledger chart (cumulative ε over time) -----------------------------------------------------------------

export interface ChartGeometry {
  readonly path: string;
  readonly points: readonly { readonly x: number; readonly y: number; readonly entry: LedgerEntry }[];
  readonly capY: number;
  readonly yMax: number;
  readonly yTicks: readonly { readonly y: number; readonly label: string }[];
  readonly xLabels: readonly { readonly x: number; readonly label: string }[];
}

/** A step chart of cumulative ε against time, with the cap as a line; x by time, y from 0 to max(cap, last). */
export function ledgerChart(entries: readonly LedgerEntry[], cap: number, width: number, height: number, pad = { left: 44, right: 12, top: 12, bottom: 24 }): ChartGeometry {
  const releases = entries.filter((e) => Number.isFinite(Date.parse(e.time)));
  const ticks = niceTicks(Math.max(cap, ...releases.map((e) => e.cumulativeEpsilon), 1e-9));
  const yMax = ticks[ticks.length - 1] as number;
  const innerW = width - pad.left - pad.right;
  const innerH = height - pad.top - pad.bottom;
  const times = releases.map((e) => Date.parse(e.time));
  const t0 = times.length ? Math.min(...times) : 0;
  const t1 = times.length ? Math.max(...times) : 1;
  const span = t1 - t0 || 1;
  const xOf = (t: number) => pad.left + (releases.length <= 1 ? innerW / 2 : ((t - t0) / span) * innerW);
  const yOf = (eps: number) => pad.top + innerH - (eps / yMax) * innerH;
  const points = releases.map((entry, i) => ({ x: xOf(times[i] as number), y: yOf(entry.cumulativeEpsilon), entry }));
  let path = '';
  if (points.length) {
    // Each step rises at its own time: horizontal to the charge's time, then up by its ε.
    path = `M${pad.left.toFixed(1)},${yOf(0).toFixed(1)}`;
    let lastY = yOf(0);
    for (const p of points) {
      path += ` H${p.x.toFixed(1)} V${p.y.toFixed(1)}`;
      lastY = p.y;
    }
    path += ` H${(pad.left + innerW).toFixed(1)} V${lastY.toFixed(1)}`;
  }
  const yTicks = ticks.map((value) => ({ y: yOf(value), label: formatEpsilon(value) }));
  // Charges within the same minute would get two identical labels: show seconds then.
  const seconds = releases.length > 1 && shortTime(t0) === shortTime(t1);
  const xLabels =
    releases.length === 0
      ? []
      : releases.length === 1
        ? [{ x: xOf(t0), label: shortTime(t0) }]
        : [
            { x: xOf(t0), label: shortTime(t0, seconds) },
            { x: xOf(t1), label: shortTime(t1, seconds) },
          ];
  return { path, points, capY: yOf(cap), yMax, yTicks, xLabels };
}

/** 0, step, 2·step, … up to the first multiple ≥ max, with step 1, 2, 2.5 or 5 × 10ⁿ giving about `count` intervals. */
export function niceTicks(max: number, count = 4): number[] {
  if (!(max > 0) || !Number.isFinite(max)) return [0, 1];
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((candidate) => candidate >= raw) ?? 10 * magnitude) as number;
  const intervals = Math.ceil(max / step - 1e-9);
  return Array.from({ length: intervals + 1 }, (_, i) => Number((i * step).toPrecision(12)));
}

function shortTime(t: number, seconds = false): string {
  return new Date(t).toLocaleString('en-GB', { month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', ...(seconds ? { second: '2-digit' as const } : {}) });
}

/** A seed the user can read and type: uniform in [0, 2^32). Not privacy-relevant (post-processing). */
export function randomSeed(): number {
  const buffer = new Uint32Array(1);
  globalThis.crypto.getRandomValues(buffer);
  return buffer[0] as number;
}
