/**
 * The evaluation's privacy plan, fixed before anything private is read: one σ per total budget ε (calibrated so
 * that T planned queries at the dataset's δ, q and k spend exactly that ε), the number of audit queries it will
 * run, and their cost under the dataset's own Rényi filter (core/ledger/filter.ts: the one statement of the rule)
 * on top of what it has already spent. A run that does not fit is refused with these numbers; nothing is charged
 * and nothing private is read.
 */
import { admits, epsilonOfRdp, queryRdpAt, type RenyiFilter } from '../ledger/index.ts';
import { calibrateSigma, epsilonFromRdp, queryRdp } from '../privacy/index.ts';

export interface BudgetSetting {
  /** Total ε the budget allows for `plannedQueries` queries. */
  readonly epsilonTotal: number;
  readonly sigma: number;
  readonly noiseMultiplier: number;
  /** ε of one such query alone at the dataset's δ. */
  readonly epsilonPerQuery: number;
}

export interface EvaluationPlanRequest {
  readonly budgets: readonly number[];
  readonly plannedQueries: number;
  readonly q: number;
  readonly k: number;
  readonly delta: number;
  /** Audit queries per budget (prompts × seeds). */
  readonly queriesPerBudget: number;
  /** The ledger's order grid for this dataset. */
  readonly orders: readonly number[];
}

export interface EvaluationPlan {
  readonly settings: readonly BudgetSetting[];
  readonly auditQueries: number;
  /** RDP of all audit queries together, per order of `orders`. */
  readonly auditRdp: readonly number[];
  /** ε of the audit queries alone. */
  readonly auditEpsilon: number;
}

export function planEvaluation(r: EvaluationPlanRequest): EvaluationPlan {
  const orders = r.orders;
  const settings = r.budgets.map((epsilonTotal): BudgetSetting => {
    const { sigma, noiseMultiplier } = calibrateSigma({ q: r.q, k: r.k, queries: r.plannedQueries, delta: r.delta, epsilon: epsilonTotal, orders });
    const one = queryRdp({ q: r.q, sigma, k: r.k }, orders);
    return { epsilonTotal, sigma, noiseMultiplier, epsilonPerQuery: epsilonFromRdp(one, orders, r.delta, 'improved').epsilon };
  });
  const auditRdp = new Array<number>(orders.length).fill(0);
  for (const s of settings) {
    const one = queryRdp({ q: r.q, sigma: s.sigma, k: r.k }, orders);
    for (let i = 0; i < orders.length; i++) auditRdp[i]! += r.queriesPerBudget * one[i]!;
  }
  return {
    settings,
    auditQueries: settings.length * r.queriesPerBudget,
    auditRdp,
    auditEpsilon: settings.length === 0 || r.queriesPerBudget === 0 ? 0 : epsilonFromRdp(auditRdp, orders, r.delta, 'improved').epsilon,
  };
}

export interface PlanFit {
  readonly cumulativeEpsilonBefore: number;
  /** What the audit queries cost together (the decrease of the remaining ε). */
  readonly cost: number;
  /** The dataset's ε used if every audit query runs. */
  readonly cumulativeEpsilonAfter: number;
  readonly epsilonCap: number;
  readonly fits: boolean;
}

/** Whether every audit query fits the dataset's filter after what it has spent (RDP at the filter's order). */
export function planFits(plan: EvaluationPlan, filter: RenyiFilter, spentRdp: number, q: number, k: number, queriesPerBudget: number): PlanFit {
  const rho = plan.settings.reduce((sum, s) => sum + queriesPerBudget * queryRdpAt(filter, { q, k, sigma: s.sigma }), 0);
  // A hair of headroom: the ledger adds the queries one at a time, in a different floating-point order.
  return {
    cumulativeEpsilonBefore: epsilonOfRdp(filter, spentRdp),
    cost: epsilonOfRdp(filter, rho),
    cumulativeEpsilonAfter: epsilonOfRdp(filter, spentRdp + rho),
    epsilonCap: filter.epsilonCap,
    fits: admits(filter, spentRdp, rho * (1 + 1e-9)),
  };
}
