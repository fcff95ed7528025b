import { flushSync } from 'svelte';
import { describe, expect, it } from 'vitest';
import BudgetScreen from '../../renderer/src/components/BudgetScreen.svelte';
import { StudioError, type StudioRequest } from '../../core/contract/contract.ts';
import { LedgerState } from '../../renderer/src/state/ledger.svelte.ts';
import { Studio } from '../../renderer/src/state/studio.svelte.ts';
import { mounted } from './dom.ts';
import { budget, dataset, fakeApi } from './fake-api.ts';

const page = mounted();

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('unlocking a locked dataset on the Budget screen', () => {
  it('asks for a note and a confirmation, sends confirm: true, and shows a refusal in words', async () => {
    let locked = true;
    const requests: StudioRequest<'ledger.unlock'>[] = [];
    let refuse = true;
    const lockedBudget = () => budget(locked ? { locked: true, lockedReason: 'verification failed (charge #1: the row was edited)' } : {});
    const api = fakeApi({
      'datasets.list': async () => [dataset({ budget: lockedBudget() })],
      'ledger.show': async () => ({ datasetId: 'demo', budget: lockedBudget(), entries: [] }),
      'ledger.unlock': async (request: StudioRequest<'ledger.unlock'>) => {
        requests.push(request);
        if (refuse) throw new StudioError('LEDGER_LOCKED', 'dataset demo is locked: verification still fails (charge #1)');
        locked = false;
        return { budget: lockedBudget(), forced: false };
      },
    });
    const studio = new Studio(api);
    await studio.refreshDatasets();
    const ledger = new LedgerState(api);
    page.mount(BudgetScreen, { target: document.body, props: { studio, ledger } });
    await tick();
    flushSync();
    const form = document.querySelector<HTMLFormElement>('[data-testid="unlock"]')!;
    expect(form.textContent).toContain('Locked: verification failed (charge #1: the row was edited)');
    const button = form.querySelector<HTMLButtonElement>('button[type="submit"]')!;
    expect(button.disabled).toBe(true);
    const note = form.querySelector<HTMLInputElement>('input:not([type="checkbox"])')!;
    note.value = 'restored from backup';
    note.dispatchEvent(new Event('input'));
    flushSync();
    expect(button.disabled).toBe(true); // the confirmation is still unticked
    form.querySelector<HTMLInputElement>('input[type="checkbox"]')!.click();
    flushSync();
    expect(button.disabled).toBe(false);

    button.click();
    await tick();
    flushSync();
    expect(requests).toEqual([{ datasetId: 'demo', note: 'restored from backup', confirm: true }]);
    expect(document.body.textContent).toContain('verification still fails');
    expect(document.querySelector('[data-testid="unlock"]')).not.toBeNull();

    refuse = false;
    document.querySelector<HTMLButtonElement>('[data-testid="unlock"] button[type="submit"]')!.click();
    await tick();
    await tick();
    flushSync();
    expect(requests).toHaveLength(2);
    expect(document.querySelector('[data-testid="unlock"]')).toBeNull();
  });
});
