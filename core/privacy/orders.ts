/**
 * The Rényi order grid. 1 + x/10 for x = 1..99 and the integers 11..63 is the grid of the reference
 * implementations (TF-Privacy / Opacus); 64, 128 and 256 are added for very small budgets. The fractional
 * orders are built as `1 + x / 10` exactly as the references do, so every double matches theirs.
 */
export const DEFAULT_ORDERS: readonly number[] = Object.freeze([
  ...Array.from({ length: 99 }, (_, i) => 1 + (i + 1) / 10),
  ...Array.from({ length: 53 }, (_, i) => 11 + i),
  64,
  128,
  256,
]);

/** The integer members of the default grid (2, 3, …, 63, 64, 128, 256), for `--orders integer`. */
export const INTEGER_ORDERS: readonly number[] = Object.freeze(DEFAULT_ORDERS.filter((order) => Number.isInteger(order)));
