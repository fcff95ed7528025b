import { flushSync, mount, unmount } from 'svelte';
import { afterEach, describe, expect, it } from 'vitest';
import BudgetMeter from '../../renderer/src/components/BudgetMeter.svelte';
import { budget } from './fake-api.ts';

let component: ReturnType<typeof mount> | undefined;
afterEach(() => {
  if (component) unmount(component);
  component = undefined;
  document.body.innerHTML = '';
});

function render(props: Parameters<typeof BudgetMeter>[1]): HTMLElement {
  component = mount(BudgetMeter, { target: document.body, props });
  flushSync();
  return document.body.querySelector('[data-testid="budget-meter"]') as HTMLElement;
}

describe('BudgetMeter', () => {
  it('shows the remaining budget first, with an accessible meter', () => {
    const meter = render({ budget: budget({ epsilonCap: 10, spentEpsilon: 3, remainingEpsilon: 7 }) });
    expect(meter.firstElementChild?.textContent).toBe('ε 7 left');
    const bar = meter.querySelector('[role="meter"]') as HTMLElement;
    expect(bar.getAttribute('aria-label')).toBe('Privacy budget remaining');
    expect(bar.getAttribute('aria-valuenow')).toBe('7');
    expect(bar.getAttribute('aria-valuemax')).toBe('10');
    expect(bar.getAttribute('aria-valuetext')).toBe('ε 7 of 10 remaining');
    expect(parseFloat((bar.querySelector('.fill') as HTMLElement).style.width)).toBeCloseTo(70, 6);
    expect(meter.classList.contains('ok')).toBe(true);
  });

  it('marks the part a previewed generation would spend at the end of the remaining bar', () => {
    const meter = render({ budget: budget({ epsilonCap: 10, spentEpsilon: 2, remainingEpsilon: 8 }), previewSpend: 0.5 });
    const preview = meter.querySelector('.preview') as HTMLElement;
    expect(parseFloat(preview.style.width)).toBeCloseTo(5, 6);
    expect(parseFloat(preview.style.left)).toBeCloseTo(75, 6);
  });

  it('turns to warning and exhausted states', () => {
    expect(render({ budget: budget({ remainingEpsilon: 1, spentEpsilon: 9 }) }).classList.contains('low')).toBe(true);
    unmount(component!);
    const meter = render({ budget: budget({ remainingEpsilon: 0, spentEpsilon: 10 }), compact: true });
    expect(meter.classList.contains('exhausted')).toBe(true);
    expect(meter.classList.contains('compact')).toBe(true);
    expect(meter.textContent).toContain('Budget spent (ε 10 of 10). Public-only mode still works');
  });
});
