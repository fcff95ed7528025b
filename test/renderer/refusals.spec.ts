import { describe, expect, it } from 'vitest';
import { StudioError, type LedgerView } from '../../core/contract/contract.ts';
import { readableError } from '../../renderer/src/lib/errors.ts';
import { DatasetsState } from '../../renderer/src/state/datasets.svelte.ts';
import { LedgerState } from '../../renderer/src/state/ledger.svelte.ts';
import { Studio } from '../../renderer/src/state/studio.svelte.ts';
import { budget, dataset, fakeApi } from './fake-api.ts';

describe('refusals a curator can act on', () => {
  it('adding a folder whose images another dataset holds: titled by what did not happen, the folder kept for a retry', async () => {
    const overlap = new StudioError('INVALID_REQUEST', '2 of these images already belong to the dataset “Demo”, which keeps the record of what has been spent on them.', {
      suggestion: 'Take those files out of this folder (or add only new images), or keep working with the dataset “Demo”.',
    });
    const api = fakeApi({ 'datasets.add': async () => Promise.reject(overlap), 'datasets.list': async () => [dataset()] });
    const studio = new Studio(api);
    await studio.refreshDatasets();
    const state = new DatasetsState(studio);
    state.folder = '/data/copies';
    await state.add();
    expect(state.error).toMatchObject({ code: 'INVALID_REQUEST', title: 'The folder was not added' });
    expect(state.error?.message).toBe(`${overlap.message} ${overlap.extra.suggestion}`);
    expect(state.notice).toBeNull();
    expect(state.job).toBeNull();
    expect(state.busy).toBe(false);
    expect(state.folder).toBe('/data/copies');
    expect(studio.datasetId).toBe('demo');
  });

  it('other failures keep their own title', async () => {
    const api = fakeApi({ 'datasets.sync': async () => Promise.reject(new StudioError('NOT_FOUND', 'no dataset demo')) });
    const state = new DatasetsState(new Studio(api));
    await state.sync('demo');
    expect(state.error?.title).toBe('Not found');
  });

  it('reads the budget fields of an error body that crossed a bridge as a plain object', () => {
    const error = readableError({ code: 'BUDGET_EXCEEDED', message: 'This needs ε 2.', remainingEpsilon: 0.25, suggestion: 'Ask for at most ε 0.25.' });
    expect(error).toMatchObject({ code: 'BUDGET_EXCEEDED', remainingEpsilon: 0.25 });
    expect(error.message).toBe('This needs ε 2. Remaining budget: ε 0.25. Ask for at most ε 0.25.');
  });
});

describe('LedgerState', () => {
  const view = (datasetId: string, rows: number): LedgerView => ({
    datasetId,
    budget: budget(),
    entries: Array.from({ length: rows }, (_, i) => ({ receiptId: `r${datasetId}${i}`, time: '2026-11-28T10:00:00.000Z', kind: 'release' as const, purpose: 'p', q: 0.1, sigma: 1, k: 8, lambda: 1, epsilonCost: 0.5, cumulativeEpsilon: 0.5 * (i + 1) })),
  });

  it('a verification speaks only for the dataset and rows it checked', async () => {
    let rows = 1;
    const api = fakeApi({
      'ledger.show': async (request: { datasetId: string }) => view(request.datasetId, request.datasetId === 'a' ? rows : 3),
      'ledger.verify': async () => ({ ok: true, checkedRows: 1 }),
    });
    const ledger = new LedgerState(api);
    await ledger.load('a');
    await ledger.runVerify('a');
    expect(ledger.verify?.checkedRows).toBe(1);
    await ledger.load('a'); // nothing new: still verified
    expect(ledger.verify).not.toBeNull();
    rows = 2;
    await ledger.load('a'); // a new charge: the old verification no longer covers the ledger
    expect(ledger.verify).toBeNull();
    await ledger.runVerify('a');
    await ledger.load('b');
    expect(ledger.verify).toBeNull();
    expect(ledger.rows.map((r) => r.receiptId)).toEqual(['rb2', 'rb1', 'rb0']);
  });
});
