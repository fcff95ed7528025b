/** The ledger room: a dataset's charges, verification, export and the curator's unlock (core/ledger does the work). */
import { buildExport, exportLedger } from '../../ledger/index.ts';
import type { StudioHandlers } from '../../contract/contract.ts';
import type { StudioContext } from '../context.ts';
import { budgetOf } from '../summaries.ts';

export function ledgerHandlers(ctx: StudioContext): Pick<StudioHandlers, 'ledger.show' | 'ledger.verify' | 'ledger.unlock' | 'ledger.export'> {
  const { ledger } = ctx;
  return {
    'ledger.show': async (r) => ({
      datasetId: r.datasetId,
      budget: budgetOf(ledger.getDataset(r.datasetId)),
      entries: ledger.charges(r.datasetId).map((c) => ({
        receiptId: c.receiptId,
        time: c.createdAt,
        kind: c.kind,
        purpose: c.purpose,
        q: c.q,
        sigma: c.sigma,
        k: c.k,
        lambda: c.lambda,
        epsilonCost: c.epsilonCost,
        cumulativeEpsilon: c.cumulativeEpsilon,
      })),
    }),
    'ledger.verify': async (r) => {
      const report = ledger.verify(r.datasetId);
      return {
        ok: report.ok,
        checkedRows: report.charges,
        ...(report.firstBadRow ? { problem: report.firstBadRow.problem } : {}),
        problems: report.problems.map((p) => ({ seq: p.seq, problem: p.problem })),
        spentEpsilon: report.cumulativeEpsilon,
        locked: report.locked,
        ...(r.heads ? { heads: r.heads.map((h) => ({ ...h, held: ledger.holdsHead(r.datasetId, h.seq, h.hash) })) } : {}),
      };
    },
    'ledger.unlock': async (r) => {
      const before = ledger.verify(r.datasetId);
      const info = ledger.unlock(r.datasetId, r.note, { force: r.force });
      return { budget: budgetOf(info), forced: !before.ok };
    },
    'ledger.export': async (r) => ({
      format: r.format,
      fileName: `ledger-${r.datasetId}.${r.format}`,
      content: exportLedger(ledger, r.datasetId, r.format),
      statement: buildExport(ledger, r.datasetId).statement,
    }),
  };
}
