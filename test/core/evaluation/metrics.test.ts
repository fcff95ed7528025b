import { describe, expect, it } from 'vitest';
import { epsilonOfRdp, planFilter, queryRdpAt, rdpBudget } from '../../../core/ledger/index.ts';
import { bootstrapFd, differenceInterval, percentileInterval } from '../../../core/evaluation/bootstrap.ts';
import { cosinePerRow, judgeAccuracy, judgeHits } from '../../../core/evaluation/metrics.ts';
import { planEvaluation, planFits } from '../../../core/evaluation/plan.ts';
import { SeededStream } from '../../../core/evaluation/random.ts';
import { DEFAULT_ORDERS, epsilon } from '../../../core/privacy/index.ts';

describe('evaluation metrics', () => {
  it('cosine per row', () => {
    const c = cosinePerRow([1, 0, 0, 2], [1, 0, 1, 0], 2, 2);
    expect(c[0]).toBeCloseTo(1);
    expect(c[1]).toBeCloseTo(0);
  });

  it('judge accuracy counts top labels against the prompt’s attributes and skips unnamed ones', () => {
    const labels = { shape: ['circle', 'star'], color: ['red', 'blue'], background: ['red', 'blue'], texture: ['plain', 'dotted'] };
    const logits = {
      shape: Float32Array.from([0, 1, 1, 0]), // star, circle
      color: Float32Array.from([1, 0, 1, 0]), // red, red
      background: Float32Array.from([0, 1, 0, 1]), // blue, blue
      texture: Float32Array.from([1, 0, 0, 1]), // plain, dotted
    };
    const hits = judgeHits(logits, labels, [
      { shape: 'star', color: 'red', background: 'blue', texture: 'plain' },
      { shape: 'star', color: 'blue', background: 'blue' },
    ]);
    const acc = judgeAccuracy(hits, Object.keys(labels));
    expect(acc.perAttribute).toEqual({ shape: 0.5, color: 0.5, background: 1, texture: 1 });
    expect(acc.overall).toBeCloseTo(5 / 7);
  });
});

describe('evaluation plan', () => {
  it('calibrates σ so that T queries spend each budget, and sums the audit queries’ RDP', () => {
    const plan = planEvaluation({ budgets: [1, 10], plannedQueries: 10_000, q: 0.005, k: 8, delta: 1e-5, queriesPerBudget: 50, orders: DEFAULT_ORDERS });
    for (const s of plan.settings) {
      const e = epsilon({ q: 0.005, sigma: s.sigma, k: 8, queries: 10_000, delta: 1e-5 }).epsilon;
      expect(e).toBeLessThanOrEqual(s.epsilonTotal);
      expect(e).toBeGreaterThan(s.epsilonTotal * 0.99);
    }
    expect(plan.settings[0]!.sigma).toBeGreaterThan(plan.settings[1]!.sigma);
    expect(plan.auditQueries).toBe(100);
    expect(plan.auditEpsilon).toBeGreaterThan(0);
    // the cost under a dataset's fixed-order filter: the sum of the audit queries' RDP at its order, as an ε share
    const filter = planFilter({ q: 0.005, k: 8, generations: 100, epsilonCap: 10, delta: 1e-5 }).filter;
    const rho = plan.settings.reduce((sum, s) => sum + 50 * queryRdpAt(filter, { q: 0.005, k: 8, sigma: s.sigma }), 0);
    const fit = planFits(plan, filter, 0, 0.005, 8, 50);
    expect(fit.cost).toBeCloseTo(epsilonOfRdp(filter, rho), 12);
    expect(fit.cumulativeEpsilonAfter).toBeCloseTo(fit.cost, 12);
    expect(fit.fits).toBe(rho <= rdpBudget(filter));
    // after spending all but half of that cost it no longer fits
    expect(planFits(plan, filter, rdpBudget(filter) - rho / 2, 0.005, 8, 50).fits).toBe(false);
  });
});

describe('bootstrap', () => {
  it('is deterministic for a seed and gives a positive difference for a clearly worse setting', () => {
    const s = new SeededStream('test-boot', 1);
    const normal = () => Math.sqrt(-2 * Math.log(1 - s.uniform())) * Math.cos(2 * Math.PI * s.uniform());
    const dim = 3;
    const P = 40;
    const make = (shift: number) => Float32Array.from({ length: P * dim }, () => normal() + shift);
    const ref = make(0);
    const good = [make(0), make(0), make(0)];
    const bad = [make(1), make(1), make(1)];
    const a = bootstrapFd([bad, good], P, ref, P, dim, 60, 7);
    const b = bootstrapFd([bad, good], P, ref, P, dim, 60, 7);
    expect(a.replicates).toEqual(b.replicates);
    expect(a.point[0]).toBeGreaterThan(a.point[1]!);
    expect(a.perSeed[0]).toHaveLength(3);
    expect(differenceInterval(a, 0, 1).low).toBeGreaterThan(0);
    expect(percentileInterval([3, 1, 2])).toEqual({ low: 1.05, high: 2.95 });
    // Intervals are bias-corrected: each contains its point estimate.
    a.point.forEach((p, i) => {
      expect(a.interval[i]!.low).toBeLessThanOrEqual(p);
      expect(a.interval[i]!.high).toBeGreaterThanOrEqual(p);
    });
  });
});
