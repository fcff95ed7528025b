import { flushSync, mount, unmount } from 'svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import SampleGridView from '../../renderer/src/components/SampleGrid.svelte';
import { SampleGrid, cancelNotice, gridProgress } from '../../renderer/src/state/grid.svelte.ts';
import { StudioError, type GeneratedImage, type GenerationResult } from '../../core/contract/contract.ts';

const image = (index: number, seed = 100 + index): GeneratedImage => ({ imageId: `img${index}`, index, seed, guidance: 3, steps: 10, sampler: 'ddim', url: `/files/g1/${index}.png` });

function result(over: Partial<GenerationResult> = {}): GenerationResult {
  return {
    generationId: 'g1',
    datasetId: 'demo',
    prompt: 'a red circle',
    createdAt: '2026-11-28T10:00:00.000Z',
    publicOnly: false,
    receiptId: 'receipt-1',
    parameters: { sigma: 0.8, k: 8, q: 0.4, lambda: 1, epsilonCost: 0.5, influence: 'some' },
    images: [image(0), image(1)],
    conditionHeld: true,
    cumulativeEpsilon: 2.5,
    remainingEpsilon: 7.5,
    cancelled: false,
    chargeSpent: true,
    ...over,
  };
}

const dataUrl = 'data:image/png;base64,iVBORw0KGgo=';

describe('SampleGrid state', () => {
  it('starts with one waiting tile per image carrying its seed', () => {
    const grid = new SampleGrid();
    grid.begin({ jobId: 'j1', images: 3, steps: 10, seeds: [7, 8, 9], publicOnly: false, epsilon: 0.5, label: 'p' });
    expect(grid.tiles.map((t) => [t.status, t.seed, t.step])).toEqual([
      ['waiting', 7, 0],
      ['waiting', 8, 0],
      ['waiting', 9, 0],
    ]);
    expect(grid.running).toBe(true);
    expect(grid.progress).toBe(0);
    expect(grid.chargeCommitted).toBe(false);
  });

  it('fills tiles from preview and image events of its own job only, and tracks progress', () => {
    const grid = new SampleGrid();
    grid.begin({ jobId: 'j1', images: 2, steps: 10, publicOnly: false, epsilon: 0.5, label: 'p' });
    grid.handleEvent({ type: 'preview', jobId: 'other', imageIndex: 0, step: 5, steps: 10, pngDataUrl: dataUrl });
    expect(grid.tiles[0]?.status).toBe('waiting');

    grid.handleEvent({ type: 'progress', jobId: 'j1', task: 'generate', phase: 'sampling', done: 0, total: 2 });
    expect(grid.phase).toBe('sampling');
    expect(grid.chargeCommitted).toBe(true);

    grid.handleEvent({ type: 'preview', jobId: 'j1', imageIndex: 0, step: 5, steps: 10, pngDataUrl: dataUrl });
    expect(grid.tiles[0]).toMatchObject({ status: 'rendering', step: 5, previewUrl: dataUrl });
    expect(grid.progress).toBeCloseTo(0.25, 12);

    grid.handleEvent({ type: 'image', jobId: 'j1', image: image(0, 42) });
    expect(grid.tiles[0]).toMatchObject({ status: 'done', seed: 42, image: { imageId: 'img0' } });
    // A late preview never replaces a finished image.
    grid.handleEvent({ type: 'preview', jobId: 'j1', imageIndex: 0, step: 9, steps: 10, pngDataUrl: dataUrl });
    expect(grid.tiles[0]?.status).toBe('done');
    expect(grid.progress).toBeCloseTo(0.5, 12);
    // Out-of-range indices are ignored.
    grid.handleEvent({ type: 'preview', jobId: 'j1', imageIndex: 9, step: 1, steps: 10, pngDataUrl: dataUrl });
    expect(grid.tiles).toHaveLength(2);
  });

  it('completes from the result, which is authoritative over events', () => {
    const grid = new SampleGrid();
    grid.begin({ jobId: 'j1', images: 2, steps: 10, publicOnly: false, epsilon: 0.5, label: 'p' });
    grid.complete(result());
    expect(grid.running).toBe(false);
    expect(grid.tiles.map((t) => t.status)).toEqual(['done', 'done']);
    expect(grid.doneImages.map((i) => i.imageId)).toEqual(['img0', 'img1']);
    expect(grid.generation?.generationId).toBe('g1');
    expect(grid.notice).toBeNull();
  });

  it('says a cancel after the charge did not refund it, and a cancel before it cost nothing', () => {
    const after = new SampleGrid();
    after.begin({ jobId: 'j1', images: 2, steps: 10, publicOnly: false, epsilon: 0.5, label: 'p' });
    after.complete(result({ cancelled: true, chargeSpent: true, images: [image(0)] }));
    expect(after.tiles.map((t) => t.status)).toEqual(['done', 'cancelled']);
    expect(after.notice).toMatch(/ε 0\.5\) was already spent and is not refunded/);
    expect(after.noticeTone).toBe('warn'); // not a success-coloured banner

    const before = new SampleGrid();
    before.begin({ jobId: 'j2', images: 2, steps: 10, publicOnly: false, epsilon: 0.5, label: 'p' });
    before.fail(new StudioError('CANCELLED', 'cancelled'));
    expect(before.tiles.map((t) => t.status)).toEqual(['cancelled', 'cancelled']);
    expect(before.notice).toBe('Cancelled before the privacy charge: no budget was spent.');
    expect(before.noticeTone).toBe('info');
    expect(before.error).toBeNull();

    expect(cancelNotice(true, true, 1)).toMatch(/no privacy budget/);
  });

  it('says a cancelled free variation spent nothing, and a variation that needed a new query spent its charge', () => {
    const free = new SampleGrid();
    free.begin({ jobId: 'j1', images: 2, steps: 10, publicOnly: true, variations: true, epsilon: 0.5, label: 'p (variations)' });
    free.complete(result({ cancelled: true, chargeSpent: false, images: [image(0)] }));
    expect(free.notice).toBe('Cancelled. Variations reuse the noisy condition already paid for: no privacy budget was spent.');

    const fresh = new SampleGrid();
    fresh.begin({ jobId: 'j2', images: 2, steps: 10, publicOnly: false, variations: true, epsilon: 0.5, label: 'p (variations)' });
    fresh.complete(result({ cancelled: true, chargeSpent: true, images: [] }));
    expect(fresh.notice).toMatch(/ε 0\.5\) was already spent and is not refunded/);
  });

  it('turns other failures into a readable error that keeps the remaining budget', () => {
    const grid = new SampleGrid();
    grid.begin({ jobId: 'j1', images: 1, steps: 10, publicOnly: false, epsilon: 5, label: 'p' });
    grid.fail(new StudioError('BUDGET_EXCEEDED', 'This generation needs ε 5 but only ε 0.3 is left.', { remainingEpsilon: 0.3, suggestion: 'Try ε 0.3 or less, or public-only.' }));
    expect(grid.tiles).toEqual([]); // nothing drawn: no empty tiles next to the refusal
    expect(grid.error).toMatchObject({ code: 'BUDGET_EXCEEDED', remainingEpsilon: 0.3 });
    expect(grid.error?.message).toContain('Remaining budget: ε 0.3.');
    expect(grid.error?.message).toContain('Try ε 0.3 or less');
  });

  it('selects images for export', () => {
    const grid = new SampleGrid();
    grid.show(result());
    grid.toggle('img1');
    expect([...grid.selected]).toEqual(['img1']);
    grid.selectAll();
    expect(grid.selected.size).toBe(2);
    grid.toggle('img1');
    expect([...grid.selected]).toEqual(['img0']);
    grid.clearSelection();
    expect(grid.selected.size).toBe(0);
  });

  it('keeps finished images when a later one fails', () => {
    const grid = new SampleGrid();
    grid.begin({ jobId: 'j1', images: 2, steps: 10, publicOnly: true, label: 'p' });
    grid.handleEvent({ type: 'image', jobId: 'j1', image: image(0) });
    grid.fail(new StudioError('MODEL_ERROR', 'the decoder failed'));
    expect(grid.tiles.map((t) => t.status)).toEqual(['done', 'failed']);
    expect(grid.error?.message).toContain('Check the model set');
  });

  it('averages progress over tiles', () => {
    expect(gridProgress([])).toBe(0);
  });
});

describe('SampleGrid component', () => {
  let component: ReturnType<typeof mount> | undefined;
  afterEach(() => {
    if (component) unmount(component);
    document.body.innerHTML = '';
  });

  function render(grid: SampleGrid) {
    const handlers = { oncancel: vi.fn(), onrecall: vi.fn(), onrerender: vi.fn(), onexport: vi.fn() };
    component = mount(SampleGridView, { target: document.body, props: { grid, ...handlers } });
    flushSync();
    return handlers;
  }

  const tiles = () => [...document.querySelectorAll<HTMLElement>('[data-testid="tile"]')];

  it('shows waiting, rendering and done tiles, the progress bar, and a cancel that warns once the charge is spent', () => {
    const grid = new SampleGrid();
    grid.begin({ jobId: 'j1', images: 2, steps: 10, seeds: [5, 6], publicOnly: false, epsilon: 0.5, label: 'a red circle' });
    const handlers = render(grid);
    expect(tiles().map((t) => t.dataset.status)).toEqual(['waiting', 'waiting']);
    const cancel = document.querySelector<HTMLButtonElement>('[data-testid="cancel"]')!;
    expect(cancel.textContent?.trim()).toBe('Cancel');

    grid.handleEvent({ type: 'preview', jobId: 'j1', imageIndex: 1, step: 4, steps: 10, pngDataUrl: dataUrl });
    flushSync();
    expect(tiles().map((t) => t.dataset.status)).toEqual(['waiting', 'rendering']);
    expect(tiles()[1]?.querySelector('img')?.getAttribute('src')).toBe(dataUrl);
    expect(tiles()[1]?.textContent).toContain('step 4/10');
    expect(cancel.textContent?.trim()).toBe('Cancel (ε 0.5 stays spent)');
    expect(document.body.textContent).toContain('does not refund it');
    expect(document.querySelector('progress')?.getAttribute('aria-label')).toBe('Generation progress');

    cancel.click();
    expect(handlers.oncancel).toHaveBeenCalledOnce();

    grid.complete(result());
    flushSync();
    expect(tiles().map((t) => t.dataset.status)).toEqual(['done', 'done']);
    expect(tiles()[0]?.querySelector('img')?.getAttribute('src')).toBe('/files/g1/0.png');
    expect(tiles()[0]?.textContent).toContain('seed 100');
    expect(document.querySelector('[data-testid="cancel"]')).toBeNull();
  });

  it('selects, exports, recalls and offers free variations while the condition is held', () => {
    const grid = new SampleGrid();
    grid.show(result());
    const handlers = render(grid);
    const exportButton = document.querySelector<HTMLButtonElement>('[data-testid="export"]')!;
    expect(exportButton.disabled).toBe(true);
    const box = tiles()[0]!.querySelector<HTMLInputElement>('input[type="checkbox"]')!;
    expect(box.closest('label')?.textContent).toContain('Select sample 1');
    box.click();
    flushSync();
    expect(exportButton.disabled).toBe(false);
    expect(exportButton.textContent?.trim()).toBe('Export 1 selected');
    exportButton.click();
    expect(handlers.onexport).toHaveBeenCalledOnce();

    tiles()[1]!.querySelector<HTMLButtonElement>('button')!.click();
    expect(handlers.onrecall).toHaveBeenCalledWith(expect.objectContaining({ generationId: 'g1' }), 101);

    const rerender = document.querySelector<HTMLButtonElement>('[data-testid="rerender"]')!;
    expect(rerender.textContent?.trim()).toBe('Variations (free)');
    rerender.click();
    expect(handlers.onrerender).toHaveBeenCalledOnce();
    expect(document.querySelector('[data-testid="generation-params"]')?.textContent).toContain('ε 0.5');
  });

  it('says a variation costs a fresh charge once the condition is gone', () => {
    const grid = new SampleGrid();
    grid.show({ ...result(), conditionHeld: false });
    render(grid);
    expect(document.querySelector('[data-testid="rerender"]')?.textContent?.trim()).toBe('Variations (new charge, ε 0.5)');
  });
});
