import { describe, expect, it } from 'vitest';
import { EPSILON_MAX, EPSILON_MIN, SLIDER_STEPS, capWords, epsilonFromSlider, plural, formatEpsilon, ledgerChart, meterView, niceNumber, niceTicks, sliderFromEpsilon } from '../../renderer/src/lib/format.ts';
import type { LedgerEntry } from '../../core/contract/contract.ts';
import { budget } from './fake-api.ts';

describe('the ε slider (log scale)', () => {
  it('maps its ends to ε_min and ε_max and its middle to the geometric mean', () => {
    expect(epsilonFromSlider(0)).toBe(EPSILON_MIN);
    expect(epsilonFromSlider(SLIDER_STEPS)).toBe(EPSILON_MAX);
    expect(epsilonFromSlider(SLIDER_STEPS / 2)).toBeCloseTo(Math.sqrt(EPSILON_MIN * EPSILON_MAX), 1); // 0.316 → 0.32
    // Each third of the track is one decade.
    expect(epsilonFromSlider(SLIDER_STEPS / 3)).toBeCloseTo(0.1, 10);
    expect(epsilonFromSlider((2 * SLIDER_STEPS) / 3)).toBeCloseTo(1, 10);
  });

  it('is monotone, clamps out-of-range positions and reads as two significant digits', () => {
    let previous = 0;
    for (let position = -10; position <= SLIDER_STEPS + 10; position += 7) {
      const epsilon = epsilonFromSlider(position);
      expect(epsilon).toBeGreaterThanOrEqual(previous);
      expect(epsilon).toBeGreaterThanOrEqual(EPSILON_MIN);
      expect(epsilon).toBeLessThanOrEqual(EPSILON_MAX);
      expect(Number(epsilon.toPrecision(2))).toBe(epsilon);
      previous = epsilon;
    }
  });

  it('round-trips ε → position → ε for values on the slider', () => {
    for (const epsilon of [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10]) {
      expect(epsilonFromSlider(sliderFromEpsilon(epsilon))).toBeCloseTo(epsilon, 10);
    }
    expect(sliderFromEpsilon(1000)).toBe(SLIDER_STEPS);
    expect(sliderFromEpsilon(0)).toBe(0);
    expect(sliderFromEpsilon(Number.NaN)).toBe(0);
  });

  it('rounds to nice numbers', () => {
    expect(niceNumber(0.0493817)).toBeCloseTo(0.049, 12);
    expect(niceNumber(3.1622)).toBeCloseTo(3.2, 12);
    expect(niceNumber(123)).toBe(120);
  });
});

describe('formatEpsilon', () => {
  it('prints three significant digits without exponents in the usual range', () => {
    expect(formatEpsilon(0.123456)).toBe('0.123');
    expect(formatEpsilon(8)).toBe('8');
    expect(formatEpsilon(2.5)).toBe('2.5');
    expect(formatEpsilon(0)).toBe('0');
    expect(formatEpsilon(Number.NaN)).toBe('—');
    expect(formatEpsilon(null)).toBe('—');
    expect(formatEpsilon(0.00012)).toBe('0.00012'); // people read this, not 1.2e-4
    expect(formatEpsilon(6.2e-4)).toBe('0.00062');
    expect(formatEpsilon(3e-8)).toBe('< 0.000001');
  });
});

describe('the budget meter', () => {
  it('leads with what is left and fills the bar with the remaining fraction', () => {
    const view = meterView(budget({ epsilonCap: 10, spentEpsilon: 2.5, remainingEpsilon: 7.5, queries: 5 }));
    expect(view.headline).toBe('ε 7.5 left');
    expect(view.fractionRemaining).toBeCloseTo(0.75, 12);
    expect(view.level).toBe('ok');
    expect(view.detail).toContain('of ε 10');
    expect(view.detail).toContain('5 private queries');
  });

  it('warns below a fifth of the cap, says "budget spent" only when nothing more fits, and reports a lock', () => {
    expect(meterView(budget({ remainingEpsilon: 1.9, spentEpsilon: 8.1 })).level).toBe('low');
    // ε 0.001 left still buys a (noisier) generation: low, not spent
    expect(meterView(budget({ remainingEpsilon: 0.001, spentEpsilon: 9.999 })).level).toBe('low');
    // less than a ten-thousandth of the cap buys nothing: spent, as the ε control says (SPENT_SHARE)
    expect(meterView(budget({ remainingEpsilon: 0.0009, spentEpsilon: 9.9991 })).level).toBe('exhausted');
    const spent = meterView(budget({ remainingEpsilon: 0, spentEpsilon: 10 }));
    expect(spent.level).toBe('exhausted');
    expect(spent.detail).toMatch(/Public-only mode still works/);
    const locked = meterView(budget({ locked: true, lockedReason: 'Row 3 was edited.' }));
    expect(locked.level).toBe('locked');
    expect(locked.headline).toBe('Ledger locked');
    expect(locked.detail).toContain('Row 3 was edited.');
  });

  it('never shows a negative remainder or a bar beyond its ends', () => {
    const view = meterView(budget({ remainingEpsilon: -0.5, spentEpsilon: 10.5 }));
    expect(view.remaining).toBe(0);
    expect(view.fractionRemaining).toBe(0);
    expect(meterView(budget({ epsilonCap: 0, remainingEpsilon: 0 })).fractionRemaining).toBe(0);
  });
});

describe('the ledger chart', () => {
  const entry = (i: number, cumulative: number): LedgerEntry => ({
    receiptId: `r${i}`,
    time: new Date(Date.UTC(2026, 10, 28, 10, i)).toISOString(),
    kind: 'release',
    purpose: 'generate',
    q: 0.4,
    sigma: 1,
    k: 8,
    lambda: 1,
    epsilonCost: 0.5,
    cumulativeEpsilon: cumulative,
  });

  it('places charges left to right in time and higher as ε accumulates, below the cap line', () => {
    const chart = ledgerChart([entry(0, 0.5), entry(5, 1.5), entry(10, 4)], 10, 640, 220);
    expect(chart.points).toHaveLength(3);
    const [a, b, c] = chart.points.map(({ x, y }) => ({ x, y })) as [{ x: number; y: number }, { x: number; y: number }, { x: number; y: number }];
    expect(a.x).toBeLessThan(b.x);
    expect(b.x).toBeLessThan(c.x);
    expect(a.y).toBeGreaterThan(b.y);
    expect(b.y).toBeGreaterThan(c.y);
    expect(chart.capY).toBeLessThan(c.y);
    expect(chart.path.startsWith('M')).toBe(true);
    expect(chart.yTicks[0]?.label).toBe('0');
  });

  it('labels the ε axis with round steps that cover the cap', () => {
    expect(niceTicks(10.2)).toEqual([0, 5, 10, 15]);
    expect(niceTicks(8)).toEqual([0, 2, 4, 6, 8]);
    expect(niceTicks(1.02)).toEqual([0, 0.5, 1, 1.5]);
    expect(ledgerChart([], 10, 640, 220).yTicks.map((t) => t.label)).toEqual(['0', '2.5', '5', '7.5', '10']);
  });

  it('labels the time axis at both ends, with seconds when both charges fall in the same minute', () => {
    const minutesApart = ledgerChart([entry(0, 0.5), entry(10, 1)], 10, 640, 220).xLabels.map((l) => l.label);
    expect(minutesApart).toHaveLength(2);
    expect(minutesApart[0]).not.toBe(minutesApart[1]);
    const at = (ms: number) => ({ ...entry(0, 0.5), receiptId: `s${ms}`, time: new Date(Date.UTC(2026, 10, 28, 10, 0, 0) + ms).toISOString() });
    const sameMinute = ledgerChart([at(1_000), at(12_000)], 10, 640, 220).xLabels.map((l) => l.label);
    expect(sameMinute[0]).not.toBe(sameMinute[1]);
    expect(sameMinute[0]).toMatch(/:01$/);
    expect(sameMinute[1]).toMatch(/:12$/);
  });

  it('draws nothing for an empty ledger and stretches the axis when spend passes the cap', () => {
    expect(ledgerChart([], 10, 640, 220).path).toBe('');
    const over = ledgerChart([entry(0, 12)], 10, 640, 220);
    expect(over.yMax).toBeGreaterThan(12);
  });
});

describe('what a cap buys', () => {
  it('counts the generations left at the planned spend and says how the folder shows there', () => {
    expect(capWords({ defaults: { epsilon: 0.1, influence: 'strong' }, budget: { epsilonCap: 10, remainingEpsilon: 8 } })).toBe('About 80 generations left at ε 0.1 each; there the folder’s look is strong.');
    expect(capWords({ defaults: { epsilon: 0.01, influence: 'weak' }, budget: { epsilonCap: 1, remainingEpsilon: 0.015 } })).toBe(
      'About 1 generation left at ε 0.01 each; there the folder’s look is weak: a larger folder (or fewer, larger generations) shows it more.',
    );
    expect(plural(1, 'duplicate')).toBe('1 duplicate');
    expect(plural(2000, 'image')).toBe('2,000 images');
  });
});
