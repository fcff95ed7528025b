/**
 * Filter correctness (issue 3, test 4): a sequence of heterogeneous queries (different q, σ, k) is admitted
 * exactly while some Rényi order keeps ε ≤ cap, checked against the accountant directly; refusals leave no row,
 * and a later, cheaper query can still be admitted after a refusal (a Rényi filter, not a stop-at-first-refusal).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { composeRdp, DEFAULT_ORDERS, epsilon, epsilonFromRdp, queryRdp } from '../../../core/privacy/index.ts';
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

/** A fixed pseudo-random schedule (tests may not depend on Math.random for reproducibility). */
function schedule(length: number): number[] {
  let state = 12345;
  return Array.from({ length }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return (state >>> 16) % KINDS.length;
  });
}

describe('Rényi filter admission', () => {
  const temp = tempLedger('dprdm-filter-');
  afterAll(() => temp.cleanup());

  it('admits heterogeneous queries exactly until the cap, as the accountant says', () => {
    const ledger = temp.open();
    const delta = 1e-6;
    const cap = 3;
    const dataset = ledger.createDataset({ name: 'filter', memberHashes: memberHashes(5000, 'filter'), epsilonCap: cap, delta });
    let cumulative: number[] = new Array<number>(DEFAULT_ORDERS.length).fill(0);
    let admitted = 0;
    let refused = 0;
    let admittedAfterRefusal = 0;
    let lastReceipt: LedgerReceipt | undefined;
    for (const index of schedule(400)) {
      const query = { ...KINDS[index]!, purpose: `kind ${index}` };
      const rdp = queryRdp(query, DEFAULT_ORDERS);
      const next = composeRdp(cumulative, rdp);
      const expected = epsilonFromRdp(next, DEFAULT_ORDERS, delta);
      const shouldAdmit = expected.epsilon <= cap;
      const preview = ledger.preview(dataset.id, query);
      expect(preview.admissible).toBe(shouldAdmit);
      const rowsBefore = ledger.getDataset(dataset.id).charges;
      if (shouldAdmit) {
        const receipt = ledger.charge(dataset.id, query);
        expect(receipt.cumulativeEpsilon).toBe(expected.epsilon);
        expect(receipt.order).toBe(expected.order);
        expect(receipt.cumulativeEpsilon).toBeLessThanOrEqual(cap);
        expect(receipt.remainingEpsilon).toBeCloseTo(cap - expected.epsilon, 12);
        expect(preview.cumulativeEpsilonAfter).toBe(expected.epsilon);
        // The query's own ε at δ is the accountant's ε for one such query.
        expect(receipt.epsilonThisQuery).toBeCloseTo(epsilon({ ...query, queries: 1, delta }).epsilon, 12);
        expect(ledger.getDataset(dataset.id).charges).toBe(rowsBefore + 1);
        if (refused > 0) admittedAfterRefusal++;
        cumulative = next;
        admitted++;
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
        expect(refusal.cumulativeEpsilon).toBe(lastReceipt?.cumulativeEpsilon ?? 0);
        expect(refusal.remainingEpsilon).toBeCloseTo(cap - refusal.cumulativeEpsilon, 12);
        expect(refusal.epsilonIfAdmitted).toBe(expected.epsilon);
        expect(refusal.message).toMatch(/remaining ε/);
        if (refusal.suggestedSigma !== undefined) {
          // The suggested σ really fits, and is tight.
          const fitted = epsilonFromRdp(composeRdp(cumulative, queryRdp({ ...query, sigma: refusal.suggestedSigma }, DEFAULT_ORDERS)), DEFAULT_ORDERS, delta);
          expect(fitted.epsilon).toBeLessThanOrEqual(cap);
          expect(refusal.suggestedSigma).toBeGreaterThan(query.sigma);
        }
        expect(ledger.getDataset(dataset.id).charges).toBe(rowsBefore); // a refusal leaves no row
        refused++;
      }
    }
    console.log(`filter test: ${admitted} admitted, ${refused} refused, ${admittedAfterRefusal} admitted after a refusal; final ε = ${lastReceipt?.cumulativeEpsilon}`);
    expect(admitted).toBeGreaterThan(10);
    expect(refused).toBeGreaterThan(10);
    expect(admittedAfterRefusal).toBeGreaterThan(0);
    const info = ledger.getDataset(dataset.id);
    expect(info.charges).toBe(admitted);
    expect(info.cumulativeEpsilon).toBe(epsilonFromRdp(cumulative, DEFAULT_ORDERS, delta).epsilon);
    expect(ledger.verify(dataset.id).ok).toBe(true);
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
