// An empirical privacy audit of the mechanism (Jagielski, Ullman & Oprea 2020, "Auditing Differentially Private
// Machine Learning"; Steinke, Nasr & Jagielski 2023, "Privacy Auditing with One (1) Training Run"): run the real
// `privateAggregate` many times on a worst-case adjacent pair — a folder D and D plus one canary embedding that
// displaces a neighbour — and turn the best threshold test along the canary's direction into a Clopper–Pearson
// lower bound on ε. A correct mechanism's bound stays below its claimed ε; a broken one (too little noise, no
// division by k) exceeds its claim. Used by test/core/privacy/audit.test.ts and `npm run audit`.
import { epsilon as claimedEpsilon, seededEntropy, type EmbeddingMatrix, type NoisyAggregate } from '../../../core/privacy/index.ts';

export type Mechanism = (query: Float64Array, store: EmbeddingMatrix, params: { q: number; sigma: number; k: number }, seed: string) => NoisyAggregate;

export interface AuditSetting {
  readonly q: number;
  readonly sigma: number;
  readonly k: number;
  readonly delta: number;
  /** Runs per side (half select the threshold, half measure it). */
  readonly trials: number;
  readonly seed: string;
}

export interface AuditResult {
  /** The accountant's ε for one query of this setting at δ. */
  readonly claimedEpsilon: number;
  /** 95% lower bound on ε from the held-out half (one-sided; Clopper–Pearson on both rates, union bound). */
  readonly epsilonLowerBound: number;
  readonly threshold: number;
  readonly direction: 'above' | 'below';
  readonly truePositiveRate: number;
  readonly falsePositiveRate: number;
  readonly trials: number;
}

const DIM = 4;

function unit(v: number[]): Float32Array {
  const n = Math.hypot(...v);
  return Float32Array.from(v.map((x) => x / n));
}

/**
 * The adjacent pair: D holds M copies of a row r that scores high for the query e₁ and points along −e₂; D′ adds a
 * canary c that scores higher and points along +e₂, so whenever it is sampled it displaces one copy of r and moves
 * the aggregate by almost the sensitivity 2/k along e₂. M is large enough that a subsample nearly always holds k rows.
 */
export function adjacentPair(q: number, k: number): { d: EmbeddingMatrix; dPrime: EmbeddingMatrix; query: Float64Array } {
  const rows = Math.max(k, Math.ceil((k + 8 * Math.sqrt(k)) / q));
  const r = unit([0.05, -1, 0, 0]);
  const c = unit([0.06, 1, 0, 0]);
  const d = new Float32Array(rows * DIM);
  for (let i = 0; i < rows; i++) d.set(r, i * DIM);
  const dPrime = new Float32Array((rows + 1) * DIM);
  dPrime.set(d);
  dPrime.set(c, rows * DIM);
  return { d: { data: d, rows, dim: DIM }, dPrime: { data: dPrime, rows: rows + 1, dim: DIM }, query: Float64Array.from([1, 0, 0, 0]) };
}

// ---- Clopper–Pearson ------------------------------------------------------------------------------------------

function logGamma(x: number): number {
  // Lanczos approximation (g = 7, n = 9), accurate to ~1e-15 for x > 0
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** P(X ≥ x) for X ~ Binomial(n, p). */
function upperTail(n: number, x: number, p: number): number {
  if (x <= 0) return 1;
  if (x > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  const lnC = logGamma(n + 1);
  let sum = 0;
  for (let i = x; i <= n; i++) {
    const term = Math.exp(lnC - logGamma(i + 1) - logGamma(n - i + 1) + i * Math.log(p) + (n - i) * Math.log1p(-p));
    sum += term;
    if (i > n * p && term < sum * 1e-17) break;
  }
  return Math.min(1, sum);
}

function bisect(f: (p: number) => boolean): number {
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 80; i++) {
    const mid = (lo + hi) / 2;
    if (f(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** One-sided lower confidence bound of a binomial rate at level 1 − alpha. */
export function clopperPearsonLower(successes: number, n: number, alpha: number): number {
  if (successes === 0) return 0;
  return bisect((p) => upperTail(n, successes, p) >= alpha) - 1e-15;
}

/** One-sided upper confidence bound of a binomial rate at level 1 − alpha. */
export function clopperPearsonUpper(successes: number, n: number, alpha: number): number {
  if (successes === n) return 1;
  return bisect((p) => 1 - upperTail(n, successes + 1, p) <= alpha);
}

/** ε lower bound from a test with tpr ≥ tprLow and fpr ≤ fprHigh: (ε, δ)-DP needs tpr ≤ e^ε·fpr + δ. */
function epsilonFrom(tprLow: number, fprHigh: number, delta: number): number {
  if (!(tprLow - delta > 0) || !(fprHigh > 0)) return 0;
  return Math.max(0, Math.log((tprLow - delta) / fprHigh));
}

// ---- the audit ---------------------------------------------------------------------------------------------------

export function audit(mechanism: Mechanism, setting: AuditSetting, claim = setting): AuditResult {
  const { q, sigma, k, delta, trials, seed } = setting;
  const { d, dPrime, query } = adjacentPair(q, k);
  const run = (store: EmbeddingMatrix, side: string) => {
    const out = new Float64Array(trials);
    for (let i = 0; i < trials; i++) out[i] = mechanism(query, store, { q, sigma, k }, `${seed}:${side}:${i}`).vector[1]!;
    return out;
  };
  const without = run(d, 'D');
  const withCanary = run(dPrime, "D'");
  const half = Math.floor(trials / 2);
  const select = { a: without.subarray(0, half), b: withCanary.subarray(0, half) };
  const measure = { a: without.subarray(half), b: withCanary.subarray(half) };
  const count = (xs: Float64Array, tau: number, dir: 'above' | 'below') => xs.reduce((n, x) => n + ((dir === 'above' ? x > tau : x < tau) ? 1 : 0), 0);

  // Choose the threshold on the first half only: candidates are quantiles of the pooled scores, both directions,
  // scored with a normal-approximation bound (cheap); the second half then gives the exact Clopper–Pearson bound.
  const pooled = Float64Array.from([...select.a, ...select.b]).sort();
  const roughBound = (x: number, m: number, sign: 1 | -1) => x / m + sign * 2 * Math.sqrt(((x / m) * (1 - x / m)) / m) + (sign > 0 ? 1 / m : 0);
  let best = { tau: 0, dir: 'above' as 'above' | 'below', score: -1 };
  for (let i = 1; i < 400; i++) {
    const tau = pooled[Math.floor((i / 400) * (pooled.length - 1))]!;
    for (const dir of ['above', 'below'] as const) {
      // 'above': the canary pushes scores up, so "score > τ" says D′; 'below': "score < τ" says D, the reverse test.
      const [pos, neg] = dir === 'above' ? [select.b, select.a] : [select.a, select.b];
      const score = epsilonFrom(roughBound(count(pos, tau, dir), half, -1), roughBound(count(neg, tau, dir), half, 1), delta);
      if (score > best.score) best = { tau, dir, score };
    }
  }
  const n = measure.a.length;
  const [pos, neg] = best.dir === 'above' ? [measure.b, measure.a] : [measure.a, measure.b];
  const tp = count(pos, best.tau, best.dir);
  const fp = count(neg, best.tau, best.dir);
  return {
    claimedEpsilon: claimedEpsilon({ q: claim.q, sigma: claim.sigma, k: claim.k, queries: 1, delta }).epsilon,
    epsilonLowerBound: epsilonFrom(clopperPearsonLower(tp, n, 0.025), clopperPearsonUpper(fp, n, 0.025), delta),
    threshold: best.tau,
    direction: best.dir,
    truePositiveRate: tp / n,
    falsePositiveRate: fp / n,
    trials,
  };
}

/** Entropy for one run: seeded (reproducible audits), ChaCha20 from node:crypto like production's. */
export function seeded(seed: string) {
  return { entropy: seededEntropy(seed) };
}
