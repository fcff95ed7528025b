/**
 * Below this share of its cap, what a dataset has left buys nothing a person could see: the budget counts as spent
 * (the ε control offers nothing, the meter says spent). Browser-safe, so the window and the engine use one number.
 */
export const SPENT_SHARE = 1e-4;
