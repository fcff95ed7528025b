/** How the façade shows a dataset and its budget to every face (one DatasetSummary, one BudgetSummary). */
import type { IndexedDataset } from '../datasets/index.ts';
import { planGeneration, usefulSpendRange, type DatasetInfo, type FolderInfluence } from '../ledger/index.ts';
import type { BudgetSummary, DatasetSummary } from '../contract/contract.ts';
import { plannedSpend } from '../generation/parameters.ts';
import type { StudioContext } from './context.ts';

export function budgetOf(info: DatasetInfo): BudgetSummary {
  return {
    epsilonCap: info.epsilonCap,
    delta: info.delta,
    spentEpsilon: info.cumulativeEpsilon,
    remainingEpsilon: info.remainingEpsilon,
    queries: info.charges,
    locked: info.locked,
    ...(info.lockedReason ? { lockedReason: info.lockedReason } : {}),
  };
}

/** Summaries of indexed datasets with their ledger state, from public numbers only. */
export class DatasetSummaries {
  // A dataset's plan (filter, k, q, size class) never changes, so neither does the influence at its planned spend:
  // one planner search per plan, not one per listing (datasets.list runs after every generation).
  private readonly plannedInfluence = new Map<string, FolderInfluence>();

  constructor(private readonly ctx: Pick<StudioContext, 'ledger' | 'range' | 'defaultLambda'>) {}

  of(d: IndexedDataset): DatasetSummary {
    const info = this.ctx.ledger.getDataset(d.datasetId);
    return {
      id: d.datasetId,
      name: d.name,
      imageCount: d.members,
      quarantinedCount: d.filesQuarantined,
      duplicateCount: d.duplicateFiles,
      modelSet: d.modelSet,
      createdAt: d.createdAt,
      defaults: {
        k: info.k,
        q: info.q,
        delta: info.delta,
        order: info.filter.order,
        sizeClass: info.sizeClass,
        plannedGenerations: info.plannedGenerations,
        epsilon: plannedSpend(info),
        lambda: this.ctx.defaultLambda,
        influence: this.influenceAtPlannedSpend(info),
      },
      budget: budgetOf(info),
      spendRange: usefulSpendRange({ filter: info.filter, k: info.k, q: info.q, spentRdp: info.spentRdp }, this.ctx.range) ?? null,
      indexMatchesLedger: d.fingerprint === info.fingerprint,
    };
  }

  private influenceAtPlannedSpend(info: DatasetInfo): FolderInfluence {
    const key = `${info.id}:${info.filter.order}:${info.filter.epsilonCap}:${info.filter.delta}:${info.sizeClass.lower}:${info.k}:${info.q}:${info.plannedGenerations}`;
    let influence = this.plannedInfluence.get(key);
    if (influence === undefined) {
      influence = planGeneration(info, plannedSpend(info), this.ctx.range)?.influence ?? 'weak';
      this.plannedInfluence.set(key, influence);
    }
    return influence;
  }
}
