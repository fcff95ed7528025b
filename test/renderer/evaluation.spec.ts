import { describe, expect, it, vi } from 'vitest';
import type { EvaluationReport } from '../../core/contract/contract.ts';
import { EvaluationState } from '../../renderer/src/state/evaluation.svelte.ts';
import { fakeApi } from './fake-api.ts';

function report(over: Partial<EvaluationReport> = {}): EvaluationReport {
  return {
    evaluationId: 'eval_1',
    datasetId: 'demo',
    datasetName: 'Demo',
    createdAt: '2026-11-28T10:00:00.000Z',
    dryRun: false,
    notice: 'For the curator’s eyes only.',
    parameters: { plannedQueries: 10000, budgets: [1, 3, 10], q: 0.005, k: 8, lambda: 0.25, delta: 1e-5, steps: 25, guidance: 5, seeds: 3, prompts: 100, heldOutImages: 400, retrievalImages: 1600, splitSeed: 1, modelSet: 'looks-v1 1.0.0' },
    audit: { queries: 900, charged: 900, epsilon: 3.5, cumulativeEpsilonBefore: 0, cumulativeEpsilonAfter: 3.5, epsilonCap: 10, delta: 1e-5, fits: true },
    warnings: [],
    rows: [],
    verdict: null,
    plotPng: null,
    folder: null,
    ...over,
  };
}

describe('EvaluationState', () => {
  it('checks the cost with a dry run of the chosen size', async () => {
    const api = fakeApi({ 'evaluate.run': async () => report({ dryRun: true }) });
    const state = new EvaluationState(api);
    state.prompts = 50;
    await state.check('demo');
    expect(api['evaluate.run']).toHaveBeenCalledWith({ datasetId: 'demo', prompts: 50, seeds: 3, dryRun: true });
    expect(state.plan?.audit.queries).toBe(900);
    expect(state.error).toBeNull();
  });

  it('runs only the checked plan, once it fits and the curator confirmed; a changed size needs a new check', async () => {
    const api = fakeApi({ 'evaluate.run': async (r: { dryRun?: boolean }) => report({ dryRun: r.dryRun === true }) });
    const afterSpend = vi.fn(async () => undefined);
    const state = new EvaluationState(api, afterSpend);
    expect(state.runBlocker('demo')).toBe('Check the cost first.');
    await state.run('demo');
    expect(api['evaluate.run']).not.toHaveBeenCalled();
    await state.check('demo');
    expect(state.checkedPlan('demo')).not.toBeNull();
    expect(state.checkedPlan('other')).toBeNull();
    expect(state.runBlocker('demo')).toBe('Confirm that the report is for your eyes only.');
    await state.run('demo');
    expect(api['evaluate.run']).toHaveBeenCalledTimes(1); // the dry run only
    state.prompts = 50;
    expect(state.runBlocker('demo')).toBe('Check the cost first.');
    state.prompts = 100;
    state.confirmed = true;
    expect(state.runBlocker('demo')).toBeNull();
    await state.run('demo');
    expect(api['evaluate.run']).toHaveBeenLastCalledWith(expect.objectContaining({ datasetId: 'demo', prompts: 100, seeds: 3, confirmNonPrivate: true }));
    // spending again needs a new check and a new confirmation; the budgets shown are refreshed once
    expect(state.runBlocker('demo')).toBe('Check the cost first.');
    expect(afterSpend).toHaveBeenCalledTimes(1);
  });

  it('never offers a run that does not fit', async () => {
    const api = fakeApi({ 'evaluate.run': async () => report({ dryRun: true, audit: { ...report().audit, fits: false } }) });
    const state = new EvaluationState(api);
    await state.check('demo');
    state.confirmed = true;
    expect(state.runBlocker('demo')).toBe('It does not fit the budget left.');
  });

  it('runs with a job id, follows its progress and keeps the report', async () => {
    let release: (r: EvaluationReport) => void = () => undefined;
    const api = fakeApi({ 'evaluate.run': (r: { dryRun?: boolean }) => (r.dryRun ? Promise.resolve(report({ dryRun: true })) : new Promise<EvaluationReport>((res) => (release = res))) });
    const state = new EvaluationState(api);
    await state.check('demo');
    state.confirmed = true;
    const running = state.run('demo');
    expect(state.running).toBe(true);
    const request = (api['evaluate.run'] as unknown as { mock: { calls: [{ jobId: string }][] } }).mock.calls[1]![0];
    state.handle({ type: 'progress', jobId: request.jobId, task: 'evaluate', phase: 'generating', done: 5, total: 10 });
    state.handle({ type: 'progress', jobId: 'other', task: 'evaluate', phase: 'generating', done: 9, total: 10 });
    expect(state.progress).toEqual({ done: 5, total: 10 });
    release(report());
    await running;
    expect(state.running).toBe(false);
    expect(state.report?.audit.charged).toBe(900);
  });

  it('shows a refusal as a readable error', async () => {
    const api = fakeApi({
      'evaluate.run': async (r: { dryRun?: boolean }) => (r.dryRun ? report({ dryRun: true }) : Promise.reject(Object.assign(new Error('this evaluation needs 900 audit queries'), { code: 'BUDGET_EXCEEDED' }))),
    });
    const state = new EvaluationState(api);
    await state.check('demo');
    state.confirmed = true;
    await state.run('demo');
    expect(state.error).not.toBeNull();
    expect(state.report).toBeNull();
  });
});
