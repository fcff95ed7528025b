/**
 * The budget rule (core/ledger/filter.ts): a fixed-order Rényi filter. Heterogeneous, adaptively chosen queries
 * (different q, σ, k, each picked from what the ledger said before) are admitted exactly while the RDP at the
 * dataset's fixed order stays within cap − conversion(α, δ). An independent check recomputes, for every admitted
 * sequence, the Feldman–Zrnic guarantee from the accountant's RDP at α and Balle et al.'s conversion, written out
 * here rather than taken from filter.ts, and never finds it above the cap. Refusals leave no row, a later, cheaper
 * query can still be admitted, and the costs reported add up to what the budget lost.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_ORDERS, epsilonFromRdp, queryRdp, subsampledGaussianRdpAt } from '../../../core/privacy/index.ts';
import { BudgetExceededError, type LedgerReceipt } from '../../../core/ledger/index.ts';
import { memberHashes, tempLedger } from './helpers.ts';

const KINDS = [
  { q: 0.01, sigma: 0.6, k: 8 },
  { q: 0.05, sigma: 1, k: 4 },
  { q: 0.002, sigma: 0.3, k: 16 },
  { q: 1, sigma: 4, k: 2 },
  { q: 0.2, sigma: 0.3, k: 10 },
  { q: 0.03, sigma: 0.25, k: 4 },
  { q: 0.5, sigma: 3, k: 1 },
  { q: 0.001, sigma: 0.1, k: 32 },
];

/** The guarantee of an admitted sequence, from first principles: (α, Σρ_t(α))-RDP converted at δ. */
function guaranteeOf(queries: readonly { q: number; sigma: number; k: number }[], alpha: number, delta: number): number {
  const total = queries.reduce((sum, query) => sum + subsampledGaussianRdpAt(query.q, (query.sigma * query.k) / 2, alpha), 0);
  return total + Math.log((alpha - 1) / alpha) - (Math.log(delta) + Math.log(alpha)) / (alpha - 1);
}

describe('Rényi filter admission', () => {
  const temp = tempLedger('dprdm-filter-');
  afterAll(() => temp.cleanup());

  it('admits heterogeneous queries exactly while the fixed-order filter does; the guarantee never exceeds the cap', () => {
    const ledger = temp.open();
    const cap = 3;
    const dataset = ledger.createDataset({ name: 'filter', memberHashes: memberHashes(5000, 'filter'), epsilonCap: cap, plannedGenerations: 50 });
    const { order: alpha } = dataset.filter;
    const delta = dataset.delta;
    expect(DEFAULT_ORDERS).toContain(alpha);
    const budget = cap - (Math.log((alpha - 1) / alpha) - (Math.log(delta) + Math.log(alpha)) / (alpha - 1));
    let spent = 0;
    const admittedQueries: { q: number; sigma: number; k: number }[] = [];
    let refused = 0;
    let admittedAfterRefusal = 0;
    let costs = 0;
    let lastReceipt: LedgerReceipt | undefined;
    let state = 12345;
    for (let step = 0; step < 400; step++) {
      // adaptive: the next kind depends on what the ledger reported so far
      state = (state * 1103515245 + 12345 + Math.floor((lastReceipt?.remainingEpsilon ?? cap) * 1000)) % 2147483648;
      const index = (state >>> 16) % KINDS.length;
      const query = { ...KINDS[index]!, purpose: `kind ${index}` };
      const rho = subsampledGaussianRdpAt(query.q, (query.sigma * query.k) / 2, alpha);
      const shouldAdmit = spent + rho <= budget;
      const preview = ledger.preview(dataset.id, query);
      expect(preview.admissible).toBe(shouldAdmit);
      expect(preview.epsilonCost).toBeCloseTo((cap * rho) / budget, 9);
      // the single-query (ε, δ) is a technical detail: the accountant's ε for one such query over the grid
      expect(preview.standaloneEpsilon).toBe(epsilonFromRdp(queryRdp(query, DEFAULT_ORDERS), DEFAULT_ORDERS, delta).epsilon);
      const rowsBefore = ledger.getDataset(dataset.id).charges;
      if (shouldAdmit) {
        const before = ledger.getDataset(dataset.id).remainingEpsilon;
        const receipt = ledger.charge(dataset.id, query);
        spent += rho;
        admittedQueries.push(query);
        expect(receipt.order).toBe(alpha);
        expect(receipt.cumulativeEpsilon).toBeLessThanOrEqual(cap);
        expect(receipt.cumulativeEpsilon).toBeCloseTo((cap * spent) / budget, 9);
        // what it cost is what the remaining budget lost
        expect(before - receipt.remainingEpsilon).toBeCloseTo(receipt.epsilonCost, 9);
        costs += receipt.epsilonCost;
        expect(guaranteeOf(admittedQueries, alpha, delta)).toBeLessThanOrEqual(cap * (1 + 1e-12));
        if (refused > 0) admittedAfterRefusal++;
        lastReceipt = receipt;
      } else {
        expect(preview.identicalQueriesThatFit).toBe(0);
        let error: unknown;
        try {
          ledger.charge(dataset.id, query);
        } catch (caught) {
          error = caught;
        }
        expect(error).toBeInstanceOf(BudgetExceededError);
        const refusal = error as BudgetExceededError;
        expect(refusal.code).toBe('BUDGET_EXCEEDED');
        expect(refusal.identicalQueriesThatFit).toBe(0);
        expect(refusal.cumulativeEpsilon).toBeCloseTo(lastReceipt?.cumulativeEpsilon ?? 0, 12);
        expect(refusal.remainingEpsilon).toBeCloseTo(cap - refusal.cumulativeEpsilon, 12);
        expect(refusal.epsilonIfAdmitted).toBeGreaterThan(cap);
        expect(refusal.message).toMatch(/remaining ε/);
        if (refusal.suggestedSigma !== undefined) {
          // The suggested σ really fits, and is tight.
          const suggested = subsampledGaussianRdpAt(query.q, (refusal.suggestedSigma * query.k) / 2, alpha);
          expect(spent + suggested).toBeLessThanOrEqual(budget);
          expect(refusal.suggestedSigma).toBeGreaterThan(query.sigma);
          expect(spent + subsampledGaussianRdpAt(query.q, (refusal.suggestedSigma * (1 - 1e-5) * query.k) / 2, alpha)).toBeGreaterThan(budget);
        }
        expect(ledger.getDataset(dataset.id).charges).toBe(rowsBefore); // a refusal leaves no row
        refused++;
      }
    }
    expect(admittedQueries.length).toBeGreaterThan(10);
    expect(refused).toBeGreaterThan(10);
    expect(admittedAfterRefusal).toBeGreaterThan(0);
    const info = ledger.getDataset(dataset.id);
    expect(info.charges).toBe(admittedQueries.length);
    expect(info.cumulativeEpsilon).toBeCloseTo(costs, 9);
    expect(ledger.verify(dataset.id).ok).toBe(true);
  });

  it('random adaptive sequences: the recomputed guarantee of what was admitted never exceeds the cap', () => {
    fc.assert(
      fc.property(
        fc.record({ cap: fc.double({ min: 0.3, max: 12, noNaN: true }), planned: fc.integer({ min: 1, max: 500 }), seed: fc.integer({ min: 0, max: 2 ** 30 }) }),
        ({ cap, planned, seed }) => {
          const ledger = temp.open();
          const dataset = ledger.createDataset({ name: 'prop', memberHashes: memberHashes(300, `prop-${seed}-${cap}-${planned}`), epsilonCap: cap, plannedGenerations: planned });
          const admitted: { q: number; sigma: number; k: number }[] = [];
          let state = seed;
          let remaining = cap;
          for (let step = 0; step < 60; step++) {
            state = (state * 1103515245 + 12345 + Math.floor(remaining * 1e6)) % 2147483648;
            const query = { ...KINDS[(state >>> 16) % KINDS.length]!, sigma: KINDS[(state >>> 16) % KINDS.length]!.sigma * (0.5 + ((state >>> 8) % 100) / 50) };
            try {
              remaining = ledger.charge(dataset.id, query).remainingEpsilon;
              admitted.push(query);
            } catch (error) {
              if (!(error instanceof BudgetExceededError)) throw error;
            }
          }
          expect(guaranteeOf(admitted, dataset.filter.order, dataset.delta)).toBeLessThanOrEqual(cap * (1 + 1e-12));
        },
      ),
      { numRuns: 25, seed: 7 },
    );
  });

  it('preview counts exactly how many identical queries fit, and charge agrees', () => {
    const ledger = temp.open();
    const dataset = ledger.createDataset({ name: 'count', memberHashes: memberHashes(100, 'count'), epsilonCap: 1.5 });
    const query = { q: 0.1, sigma: 1.1, k: 4 };
    const fit = ledger.preview(dataset.id, query).identicalQueriesThatFit;
    expect(fit).toBeGreaterThan(3);
    for (let i = 0; i < fit; i++) {
      expect(ledger.preview(dataset.id, query).identicalQueriesThatFit).toBe(fit - i);
      ledger.charge(dataset.id, query);
    }
    expect(ledger.preview(dataset.id, query)).toMatchObject({ admissible: false, identicalQueriesThatFit: 0, remainingEpsilonAfter: 0 });
    expect(() => ledger.charge(dataset.id, query)).toThrow(BudgetExceededError);
    expect(ledger.getDataset(dataset.id).charges).toBe(fit);
  });

  it('counts up to the 1e9 ceiling for negligible queries', () => {
    const ledger = temp.open();
    const dataset = ledger.createDataset({ name: 'tiny', memberHashes: memberHashes(100, 'tiny'), epsilonCap: 10 });
    const preview = ledger.preview(dataset.id, { q: 1e-9, sigma: 1e5, k: 1000 });
    expect(preview.admissible).toBe(true);
    expect(preview.identicalQueriesThatFit).toBe(1_000_000_000);
  });

  it('refuses a query whose every order is dropped (ε = ∞) and one larger than the whole cap', () => {
    const ledger = temp.open();
    const dataset = ledger.createDataset({ name: 'huge', memberHashes: memberHashes(100, 'huge'), epsilonCap: 0.5 });
    expect(() => ledger.charge(dataset.id, { q: 1, sigma: 0.01, k: 1 })).toThrow(BudgetExceededError);
    expect(ledger.preview(dataset.id, { q: 1, sigma: 0.01, k: 1 })).toMatchObject({ admissible: false, identicalQueriesThatFit: 0 });
    expect(ledger.getDataset(dataset.id).charges).toBe(0);
  });
});
