import { flushSync, mount, unmount } from 'svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import App from '../../renderer/src/App.svelte';
import { createAppState } from '../../renderer/src/state/app.ts';
import { DatasetsState } from '../../renderer/src/state/datasets.svelte.ts';
import { Studio } from '../../renderer/src/state/studio.svelte.ts';
import { StudioError, type GenerationResult, type StudioRequest } from '../../core/contract/contract.ts';
import { dataset, fakeApi, previewFor } from './fake-api.ts';

// jsdom has no ResizeObserver (the ledger chart measures its width with bind:clientWidth).
globalThis.ResizeObserver ??= class {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
} as unknown as typeof ResizeObserver;

let component: ReturnType<typeof mount> | undefined;
afterEach(() => {
  if (component) unmount(component);
  component = undefined;
  document.body.innerHTML = '';
  vi.useRealTimers();
});

function studioApi() {
  let remaining = 8;
  return fakeApi({
    'studio.info': async () => ({ version: '0.1.0', modelSet: { name: 'looks-v1', version: '1', embeddingDim: 64, k: 8, examplePrompts: ['a red star', 'an orange cross'] }, dataDirectory: '/home/u/.local/share/dprdm-studio', executionProviders: [{ name: 'cpu', available: true }] }),
    'datasets.list': async () => [dataset({ budget: { epsilonCap: 10, delta: 1e-6, spentEpsilon: 10 - remaining, remainingEpsilon: remaining, queries: 4, locked: false } })],
    'history.list': async () => [],
    'settings.get': async () => ({ executionProvider: 'auto', dataDirectory: '/home/u/.local/share/dprdm-studio' }),
    'ledger.show': async () => ({ datasetId: 'demo', budget: dataset().budget, entries: [] }),
    'datasets.show': async () => ({ ...dataset(), folder: '/data/photos', quarantined: [{ path: 'bad.jpg', reason: 'truncated file' }], duplicates: [], familiarity: { median: 0.78, warnBelow: 0.9, unfamiliar: true } }),
    'prompt.check': async (request: StudioRequest<'prompt.check'>) => ({ tokens: 3, unknownWords: request.prompt.includes('zebra') ? ['zebra'] : [] }),
    'generate.preview': async (request: StudioRequest<'generate.preview'>) => previewFor(request.epsilon ?? 1, remaining),
    'generate.run': async (request: StudioRequest<'generate.run'>): Promise<GenerationResult> => {
      remaining -= request.epsilon ?? 0;
      return {
        generationId: 'g1',
        datasetId: 'demo',
        prompt: request.prompt,
        createdAt: new Date().toISOString(),
        publicOnly: false,
        receiptId: 'r1',
        parameters: { sigma: 1, k: 8, q: 0.4, lambda: 1, epsilonCost: request.epsilon ?? 0, influence: 'some' },
        images: (request.seeds ?? []).map((seed, index) => ({ imageId: `i${index}`, index, seed, guidance: 3, steps: 25, sampler: 'ddim', url: `/files/g1/${index}.png` })),
        conditionHeld: true,
        cumulativeEpsilon: 10 - remaining,
        remainingEpsilon: remaining,
        cancelled: false,
        chargeSpent: true,
      };
    },
  });
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    flushSync();
  }
}

describe('App', () => {
  it('loads the dataset, shows the remaining budget, and every screen renders with labelled controls', async () => {
    const api = studioApi();
    component = mount(App, { target: document.body, props: { app: createAppState(api) } });
    await settle();
    expect((document.querySelector('#dataset-select') as HTMLSelectElement).value).toBe('demo');
    expect(document.querySelector('aside [data-testid="budget-remaining"]')?.textContent).toBe('ε 8 left');
    for (const label of ['Datasets', 'Budget & ledger', 'Settings', 'Generate']) {
      const button = [...document.querySelectorAll<HTMLButtonElement>('nav button')].find((b) => b.textContent === label)!;
      button.click();
      await settle();
      expect(button.getAttribute('aria-current')).toBe('page');
      for (const control of document.querySelectorAll('input, select, textarea')) {
        const labelled = (control as HTMLInputElement).labels?.length || control.getAttribute('aria-label') || control.getAttribute('aria-labelledby');
        expect(labelled, `${control.outerHTML.slice(0, 80)} on ${label}`).toBeTruthy();
      }
    }
    expect(document.body.textContent).toContain('Type a prompt');
  });

  it('the Datasets screen says what the cap buys and warns when the folder is unlike what the model set knows', async () => {
    const api = studioApi();
    component = mount(App, { target: document.body, props: { app: createAppState(api) } });
    await settle();
    [...document.querySelectorAll<HTMLButtonElement>('nav button')].find((b) => b.textContent === 'Datasets')!.click();
    await settle();
    expect(document.querySelector('[data-testid="cap-words"]')?.textContent).toContain('About 80 generations left at ε 0.1 each; there the folder’s look is strong.');
    expect(document.querySelector('[data-testid="unfamiliar"]')?.textContent).toMatch(/unlike anything the model set knows \(median similarity to its public images 0\.78; folders it knows\s+sit above 0\.9\)/);
  });

  it('shows a lost studio and, when it is back, reloads without a page reload', async () => {
    const api = studioApi();
    let tell: (state: 'lost' | 'restored') => void = () => undefined;
    const withConnection = Object.assign(api, { onConnection: (listener: (state: 'lost' | 'restored') => void) => ((tell = listener), () => undefined) });
    component = mount(App, { target: document.body, props: { app: createAppState(withConnection) } });
    await settle();
    const listed = vi.mocked(api['datasets.list']).mock.calls.length;
    expect(document.querySelector('[data-testid="connection-lost"]')).toBeNull();
    tell('lost');
    await settle();
    expect(document.querySelector('[data-testid="connection-lost"]')?.textContent).toMatch(/reconnects by itself/);
    tell('restored');
    await settle();
    expect(document.querySelector('[data-testid="connection-lost"]')).toBeNull();
    expect(vi.mocked(api['datasets.list']).mock.calls.length).toBeGreaterThan(listed);
  });

  it('hints unknown words, and Ctrl+Enter generates with the slider’s ε (the dataset’s planned spend at first) and updates the meter', async () => {
    const api = studioApi();
    component = mount(App, { target: document.body, props: { app: createAppState(api) } });
    await settle();
    const prompt = document.querySelector<HTMLTextAreaElement>('#prompt')!;
    prompt.value = 'a zebra circle';
    prompt.dispatchEvent(new Event('input', { bubbles: true }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await settle();
    expect(document.querySelector('[data-testid="prompt-hints"]')?.textContent).toContain('zebra');

    prompt.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', ctrlKey: true, bubbles: true }));
    await settle();
    expect(api['generate.run']).toHaveBeenCalledWith(expect.objectContaining({ datasetId: 'demo', prompt: 'a zebra circle', epsilon: 0.1, publicOnly: false, images: 4 }));
    expect(document.querySelectorAll('[data-testid="tile"][data-status="done"]')).toHaveLength(4);
    expect(document.querySelector('aside [data-testid="budget-remaining"]')?.textContent).toBe('ε 7.9 left') // 8 left before, minus the 0.1 this generation cost;
  });

  it('shows a refusal with the remaining budget and what to do', async () => {
    const api = studioApi();
    vi.mocked(api['generate.run']).mockRejectedValueOnce(new StudioError('BUDGET_EXCEEDED', 'This generation needs ε 9.', { remainingEpsilon: 8, suggestion: 'Try ε 8 or less, or public-only.' }));
    component = mount(App, { target: document.body, props: { app: createAppState(api) } });
    await settle();
    const prompt = document.querySelector<HTMLTextAreaElement>('#prompt')!;
    prompt.value = 'x';
    prompt.dispatchEvent(new Event('input', { bubbles: true }));
    flushSync();
    document.querySelector<HTMLButtonElement>('[data-testid="generate"]')!.click();
    await settle();
    const alert = document.querySelector('[role="alert"]')!;
    expect(alert.getAttribute('data-code')).toBe('BUDGET_EXCEEDED');
    expect(alert.textContent).toContain('Remaining budget: ε 8.');
    expect(alert.textContent).toContain('Try ε 8 or less, or public-only.');
  });
});

describe('Generate says why it is off', () => {
  it('offers the model set’s suggested prompts while the prompt is empty; a click fills it', async () => {
    const api = studioApi();
    component = mount(App, { target: document.body, props: { app: createAppState(api) } });
    await settle();
    const chips = [...document.querySelectorAll<HTMLButtonElement>('[data-testid="example-prompts"] button')];
    expect(chips.map((b) => b.textContent)).toEqual(['a red star', 'an orange cross']);
    expect(document.querySelector<HTMLButtonElement>('[data-testid="generate"]')!.disabled).toBe(true);
    expect(document.querySelector('[data-testid="generate-blocker"]')?.textContent).toBe('Type a prompt.');
    chips[1]!.click();
    flushSync();
    expect(document.querySelector<HTMLTextAreaElement>('#prompt')!.value).toBe('an orange cross');
    expect(document.querySelector('[data-testid="example-prompts"]')).toBeNull();
    expect(document.querySelector<HTMLButtonElement>('[data-testid="generate"]')!.disabled).toBe(false);
  });

  it('is disabled with the reason while the preview says over the cap, and once nothing more fits', async () => {
    const api = studioApi();
    vi.mocked(api['generate.preview']).mockImplementation(async (request: StudioRequest<'generate.preview'>) => ({ ...previewFor(request.epsilon ?? 1), admissible: false }));
    component = mount(App, { target: document.body, props: { app: createAppState(api) } });
    await settle();
    const prompt = document.querySelector<HTMLTextAreaElement>('#prompt')!;
    prompt.value = 'a red star';
    prompt.dispatchEvent(new Event('input', { bubbles: true }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await settle();
    const button = document.querySelector<HTMLButtonElement>('[data-testid="generate"]')!;
    expect(button.disabled).toBe(true);
    expect(document.querySelector('[data-testid="generate-blocker"]')?.textContent).toMatch(/would exceed the budget: lower ε, or switch to public-only/);
    button.click();
    await settle();
    expect(api['generate.run']).not.toHaveBeenCalled();

    vi.mocked(api['datasets.list']).mockImplementation(async () => [dataset({ spendRange: null, budget: { epsilonCap: 10, delta: 1e-6, spentEpsilon: 10, remainingEpsilon: 0, queries: 9, locked: false } })]);
    if (component) unmount(component);
    component = mount(App, { target: document.body, props: { app: createAppState(api) } });
    await settle();
    const again = document.querySelector<HTMLTextAreaElement>('#prompt')!;
    again.value = 'a red star';
    again.dispatchEvent(new Event('input', { bubbles: true }));
    await settle();
    expect(document.querySelector<HTMLInputElement>('#epsilon-slider')!.disabled).toBe(true);
    expect(document.querySelector('[data-testid="generate-blocker"]')?.textContent).toMatch(/budget is spent/);
    document.querySelector<HTMLInputElement>('#public-only')!.click();
    await settle();
    expect(document.querySelector<HTMLButtonElement>('[data-testid="generate"]')!.disabled).toBe(false);
  });
});

describe('History', () => {
  it('says what each past generation cost, and which were cancelled', async () => {
    const api = studioApi();
    const base = { datasetId: 'demo', createdAt: '2026-11-28T10:00:00.000Z', images: [], conditionHeld: false };
    vi.mocked(api['history.list']).mockResolvedValue([
      { ...base, generationId: 'g3', prompt: 'cancelled one', publicOnly: false, receiptId: 'r3', parameters: { sigma: 1, k: 8, q: 0.4, lambda: 1, epsilonCost: 0.5, influence: 'some' }, cancelled: true },
      { ...base, generationId: 'g2', prompt: 'public one', publicOnly: true, receiptId: null, parameters: { sigma: null, k: 8, q: null, lambda: 1, epsilonCost: 0, influence: null }, cancelled: false },
      { ...base, generationId: 'g1', prompt: 'variations', publicOnly: false, receiptId: 'r1', parameters: { sigma: 1, k: 8, q: 0.4, lambda: 1, epsilonCost: 0, influence: 'weak' }, cancelled: false },
    ]);
    component = mount(App, { target: document.body, props: { app: createAppState(api) } });
    await settle();
    const items = [...document.querySelectorAll('.history-item')].map((b) => b.textContent?.replace(/\s+/g, ' ').trim());
    expect(items[0]).toMatch(/cancelled one .* ε 0\.5 spent · 0 images \(cancelled\)$/);
    expect(items[1]).toMatch(/public one .* public-only, no privacy cost · 0 images$/);
    expect(items[2]).toMatch(/variations .* variations, no new cost · 0 images$/);
  });
});

describe('Recall', () => {
  it('re-renders a recalled generation’s kept condition for free until a privacy setting changes', async () => {
    const api = studioApi();
    const record = {
      generationId: 'g7', datasetId: 'demo', createdAt: '2026-11-28T10:00:00.000Z', prompt: 'a red star', publicOnly: false, receiptId: 'r7', cancelled: false, conditionHeld: true,
      parameters: { sigma: 0.03, k: 8, q: 0.4, lambda: 1, epsilonCost: 0.25, influence: 'strong' as const },
      images: [{ imageId: 'i1', index: 0, seed: 41, guidance: 3, steps: 25, sampler: 'ddim' as const, url: '/files/g7/1.png' }, { imageId: 'i2', index: 1, seed: 42, guidance: 3, steps: 25, sampler: 'ddim' as const, url: '/files/g7/2.png' }],
    };
    vi.mocked(api['generate.rerender']).mockImplementation(async (r: StudioRequest<'generate.rerender'>) => ({ ...record, generationId: 'g8', receiptId: null, chargeSpent: false, cumulativeEpsilon: 2, remainingEpsilon: 8, images: (r.seeds ?? []).map((seed, index) => ({ imageId: `j${index}`, index, seed, guidance: 3, steps: 25, sampler: 'ddim', url: `/files/g8/${index}.png` })) }));
    const app = createAppState(api);
    component = mount(App, { target: document.body, props: { app } });
    await settle();
    app.session.form.recall(record, 42);
    flushSync();
    expect(app.session.form.epsilon).toBe(0.25); // the generation's own ε, kept
    expect(document.querySelector('[data-testid="generate"]')?.textContent).toContain('free (recalled condition)');
    expect(document.querySelector('[data-testid="reuses-condition"]')?.textContent).toMatch(/costs nothing, and the same\s+seed gives the same pixels/);
    await app.session.generate();
    expect(api['generate.run']).not.toHaveBeenCalled();
    expect(api['generate.rerender']).toHaveBeenCalledWith(expect.objectContaining({ generationId: 'g7', seeds: [42], steps: 25, guidance: 3 }));

    app.session.form.prompt = 'a red star on a dark background'; // a new prompt is a new private query
    flushSync();
    expect(app.session.form.reusesCondition('demo')).toBe(false);
    await app.session.generate();
    expect(api['generate.run']).toHaveBeenCalledWith(expect.objectContaining({ prompt: 'a red star on a dark background', epsilon: 0.25, seeds: [42] }));
  });
});

describe('DatasetsState', () => {
  it('tracks indexing progress with rate and ETA for its own job, and asks before removing', async () => {
    let release!: () => void;
    const api = fakeApi({
      'datasets.add': () => new Promise((resolve) => (release = () => resolve(dataset({ id: 'new', name: 'Photos', imageCount: 120 })))),
      'datasets.show': async () => ({ ...dataset({ id: 'new' }), folder: '/data/photos', quarantined: [], duplicates: [] }),
      'datasets.remove': async () => ({ removed: true as const }),
      'datasets.list': async () => [],
    });
    const studio = new Studio(api);
    const state = new DatasetsState(studio);
    state.folder = '/data/photos';
    const adding = state.add();
    const jobId = state.job!.jobId;
    state.handleEvent({ type: 'progress', jobId: 'someone-else', task: 'index', phase: 'embedding', done: 1, total: 2 });
    expect(state.job?.done).toBe(0);
    state.handleEvent({ type: 'progress', jobId, task: 'index', phase: 'embedding', done: 30, total: 120, ratePerSecond: 15, etaSeconds: 6 });
    expect(state.job).toMatchObject({ phase: 'embedding', done: 30, total: 120, ratePerSecond: 15, etaSeconds: 6 });
    expect(state.fraction).toBe(0.25);
    expect(api['datasets.add']).toHaveBeenCalledWith({ folder: '/data/photos', epsilonCap: 10, jobId });
    release();
    await adding;
    expect(state.job).toBeNull();
    expect(state.notice).toContain('Indexed “Photos”: 120 images');
    expect(studio.datasetId).toBe('new');

    await state.remove('new');
    expect(api['datasets.remove']).not.toHaveBeenCalled();
    expect(state.confirmRemove).toBe('new');
    await state.remove('new');
    expect(api['datasets.remove']).toHaveBeenCalledWith({ datasetId: 'new' });
    expect(state.notice).toContain('image files were not touched');
  });
});
