// Cancellation with the real models: before the charge nothing is spent (CANCELLED, no ledger row); after the
// charge the result says cancelled and that the charge was spent, and the ledger keeps the row.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetSummary, GenerationResult } from '../../../core/contract/contract.ts';
import { createStudioService, type StudioService } from '../../../core/studio/service.ts';
import { cleanupTemp, EventLog, localApi, privateFolder, rejectionOf, tempDir } from './helpers.ts';

describe('cancelling generations', () => {
  let service: StudioService;
  let dataset: DatasetSummary;
  const events = new EventLog();
  const call = localApi(() => service);
  const entries = async () => (await call('ledger.show', { datasetId: dataset.id })).entries;

  beforeAll(async () => {
    service = await createStudioService({ home: tempDir('dprdm-cancel-home-') });
    service.subscribe(events.push);
    dataset = await call('datasets.add', { folder: privateFolder(40, 200), epsilonCap: 8 });
  });
  afterAll(async () => {
    await service?.close();
    cleanupTemp();
  });

  it('cancelling a job while it waits in its dataset queue ends it at once with CANCELLED and charges nothing', async () => {
    const settled: string[] = [];
    const long = call('generate.run', { datasetId: dataset.id, prompt: 'a red square', epsilon: 0.5, images: 4, steps: 40, jobId: 'long-1' }).then((r) => {
      settled.push('long');
      return r;
    });
    const queued = call('generate.run', { datasetId: dataset.id, prompt: 'a red square', epsilon: 0.5, images: 1, steps: 1, jobId: 'queued-1' }).then(
      (r) => {
        settled.push('queued');
        return r;
      },
      (e: unknown) => {
        settled.push('queued');
        throw e;
      },
    );
    await events.next((e) => e.jobId === 'long-1' && e.type === 'progress');
    expect(await call('generate.cancel', { jobId: 'queued-1' })).toEqual({ cancelled: true });
    const error = await rejectionOf(queued);
    expect(error.code).toBe('CANCELLED');
    expect(error.message).toMatch(/nothing was charged/);
    expect(settled).toEqual(['queued']); // it did not wait for the running job
    const done = await long;
    expect(done).toMatchObject({ cancelled: false, chargeSpent: true });
    expect(done.images).toHaveLength(4);
    const rows = await entries();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.receiptId).toBe(done.receiptId);
    await events.next((e) => e.type === 'job-end' && e.jobId === 'queued-1');
    expect(events.forJob('queued-1')).toEqual([{ type: 'job-end', jobId: 'queued-1', outcome: 'cancelled' }]);
    // The cancelled job left no generation behind, and its queue slot did not run later.
    await new Promise((r) => setTimeout(r, 200));
    expect((await call('history.list', { datasetId: dataset.id })).map((g) => g.generationId)).toEqual([done.generationId]);
    expect(await entries()).toHaveLength(1);
  });

  it('a request whose caller is already gone (aborted signal) is cancelled before the charge', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await rejectionOf(call('generate.run', { datasetId: dataset.id, prompt: 'a red square', epsilon: 0.5, images: 1, steps: 1 }, controller.signal));
    expect(error.code).toBe('CANCELLED');
    expect(await entries()).toHaveLength(1);
  });

  it('cancelling during sampling (after the charge) returns cancelled with chargeSpent, and the ledger keeps the row', async () => {
    const before = await entries();
    const running = call('generate.run', { datasetId: dataset.id, prompt: 'a green circle', epsilon: 0.5, images: 8, steps: 200, sampler: 'ddim', jobId: 'sampling-1' });
    await events.next((e) => e.jobId === 'sampling-1' && (e.type === 'preview' || e.type === 'progress'));
    expect(await call('generate.cancel', { jobId: 'sampling-1' })).toEqual({ cancelled: true });
    const result: GenerationResult = await running;
    expect(result).toMatchObject({ cancelled: true, chargeSpent: true, publicOnly: false });
    expect(result.receiptId).toMatch(/^rc_/);
    expect(result.images.length).toBeLessThan(8);
    const after = await entries();
    expect(after).toHaveLength(before.length + 1);
    expect(after.at(-1)!.receiptId).toBe(result.receiptId);
    expect(result.cumulativeEpsilon).toBeCloseTo(after.at(-1)!.cumulativeEpsilon, 12);
    await events.next((e) => e.type === 'job-end' && e.jobId === 'sampling-1');
    expect(events.forJob('sampling-1').at(-1)).toEqual({ type: 'job-end', jobId: 'sampling-1', outcome: 'cancelled' });
    // The spent query's condition is held: re-rendering it is free.
    const rerender = await call('generate.rerender', { generationId: result.generationId, seeds: [5], steps: 2 });
    expect(rerender).toMatchObject({ chargeSpent: false, receiptId: result.receiptId });
    expect(await entries()).toHaveLength(after.length);
  });

  it('cancelling a free re-render or a public-only generation spends nothing', async () => {
    const base = (await call('history.list', { datasetId: dataset.id }))[0]!;
    const rows = (await entries()).length;
    const rerender = call('generate.rerender', { generationId: base.generationId, seeds: [1, 2, 3, 4, 5, 6, 7, 8], steps: 200, sampler: 'ddim', jobId: 'rerender-1' });
    await events.next((e) => e.jobId === 'rerender-1' && e.type === 'progress');
    await call('generate.cancel', { jobId: 'rerender-1' });
    expect(await rerender).toMatchObject({ cancelled: true, chargeSpent: false });
    const pub = call('generate.run', { datasetId: dataset.id, prompt: 'a green circle', publicOnly: true, images: 8, steps: 200, sampler: 'ddim', jobId: 'public-1' });
    await events.next((e) => e.jobId === 'public-1' && e.type === 'progress');
    await call('generate.cancel', { jobId: 'public-1' });
    expect(await pub).toMatchObject({ cancelled: true, chargeSpent: false, receiptId: null });
    expect(await entries()).toHaveLength(rows);
    expect(await call('generate.cancel', { jobId: 'no-such-job' })).toEqual({ cancelled: false });
  });
});
