/**
 * What the studio treats as public about a collection's size (docs/design.md §4). Under add/remove adjacency the
 * exact number of images N is private, so nothing released may be a function of it: δ and the default sampling
 * rate q come from a coarse size class — "between 2,000 and 5,000 images" — that the curator confirms when the
 * dataset is created, and they never change afterwards (a sync that leaves the class keeps them).
 * Classes follow a 1–2–5 series: [1, 2), [2, 5), [5, 10), [10, 20), …, [2·10⁷, 5·10⁷).
 */
import { DEFAULT_ORDERS } from '../privacy/index.ts';
import { isUsableFilter, planFilter } from './filter.ts';

export interface SizeClass {
  /** Smallest size in the class (inclusive). */
  readonly lower: number;
  /** Largest size in the class (exclusive). */
  readonly upper: number;
}

/** Every class bound, ascending: 1, 2, 5, 10, 20, 50, … 5·10⁷. */
export const SIZE_CLASS_BOUNDS: readonly number[] = Object.freeze(
  Array.from({ length: 8 }, (_, decade) => [1, 2, 5].map((m) => m * 10 ** decade)).flat(),
);

/** The planner's subsample rule: at the class's smallest size a subsample holds about this many rows per neighbour. */
export const ROWS_PER_NEIGHBOUR_AT_CLASS_FLOOR = 4;
/** The workload a new dataset is planned for unless the curator says otherwise. */
export const DEFAULT_PLANNED_GENERATIONS = 100;
/** δ is at most this, and at most 1/(10·upper) of the class. */
export const MAX_DELTA = 1e-5;

/** The class holding n images. */
export function sizeClassOf(n: number): SizeClass {
  if (!(Number.isSafeInteger(n) && n >= 1)) throw new RangeError(`a size class needs a positive whole number of images, got ${n}`);
  for (let i = SIZE_CLASS_BOUNDS.length - 1; i >= 0; i--) {
    const lower = SIZE_CLASS_BOUNDS[i]!;
    if (n >= lower) return { lower, upper: SIZE_CLASS_BOUNDS[i + 1] ?? lower * 2 };
  }
  return { lower: 1, upper: 2 };
}

/** Whether (lower, upper) is one of the classes. */
export function isSizeClass(value: { lower: unknown; upper: unknown }): value is SizeClass {
  const i = SIZE_CLASS_BOUNDS.indexOf(value.lower as number);
  return i >= 0 && value.upper === (SIZE_CLASS_BOUNDS[i + 1] ?? (value.lower as number) * 2);
}

/** δ for a class: min(1e-5, 1/(10·upper)), far below 1/N for every N in it. */
export function deltaForSizeClass(c: SizeClass): number {
  return Math.min(MAX_DELTA, 1 / (10 * c.upper));
}

/** Whether a subsample of the class's smallest size can hold ROWS_PER_NEIGHBOUR_AT_CLASS_FLOOR rows per neighbour. */
export function classHoldsNeighbours(c: SizeClass, k: number): boolean {
  return ROWS_PER_NEIGHBOUR_AT_CLASS_FLOOR * k <= c.lower;
}

/** q for a class and k: about ROWS_PER_NEIGHBOUR_AT_CLASS_FLOOR·k rows at the class's smallest size (capped at 1). */
export function samplingRateForSizeClass(c: SizeClass, k: number): number {
  return Math.min(1, (ROWS_PER_NEIGHBOUR_AT_CLASS_FLOOR * k) / c.lower);
}

export function describeSizeClass(c: SizeClass): string {
  const f = (n: number) => n.toLocaleString('en-US');
  return c.upper - c.lower === 1 ? `${f(c.lower)} image${c.lower === 1 ? '' : 's'}` : `between ${f(c.lower)} and ${f(c.upper - 1)} images`;
}

export interface AdoptedParameters {
  readonly sizeClass: SizeClass;
  readonly q: number;
  readonly k: number;
  readonly order: number;
  readonly generations: number;
}

/** Schema 1 → 2: the parameters a legacy dataset adopts (its recorded order when it had charges). */
export function adoptedParameters(memberCount: number, epsilonCap: number, delta: number, lastOrder: number | undefined): AdoptedParameters {
  const sizeClass = sizeClassOf(Math.max(1, memberCount));
  const k = 8; // the only model set schema 1 knew
  const q = samplingRateForSizeClass(sizeClass, k);
  const generations = DEFAULT_PLANNED_GENERATIONS;
  let order = planFilter({ q, k, generations, epsilonCap, delta }).filter.order;
  if (lastOrder !== undefined && DEFAULT_ORDERS.includes(lastOrder) && isUsableFilter({ order: lastOrder, epsilonCap, delta })) order = lastOrder;
  return { sizeClass, q, k, order, generations };
}
