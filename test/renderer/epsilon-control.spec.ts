import { flushSync, mount, unmount } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import EpsilonControl from '../../renderer/src/components/EpsilonControl.svelte';
import { DEBOUNCE_MS, GenerateForm } from '../../renderer/src/state/generate.svelte.ts';
import { epsilonFromSlider, sliderFromEpsilon } from '../../renderer/src/lib/format.ts';
import { GENERATION_DEFAULTS, StudioError, type StudioRequest } from '../../core/contract/contract.ts';
import { fakeApi, previewFor } from './fake-api.ts';

let component: ReturnType<typeof mount> | undefined;
beforeEach(() => vi.useFakeTimers());
afterEach(() => {
  if (component) unmount(component);
  component = undefined;
  document.body.innerHTML = '';
  vi.useRealTimers();
});

function setup() {
  const api = fakeApi({ 'generate.preview': async (request: StudioRequest<'generate.preview'>) => previewFor(request.epsilon ?? 1) });
  const form = new GenerateForm(api);
  const onchange = () => form.schedulePreview('demo');
  component = mount(EpsilonControl, { target: document.body, props: { form, onchange } });
  flushSync();
  return { api, form };
}

const text = (id: string) => document.querySelector(`[data-testid="${id}"]`)?.textContent?.trim();

describe('the ε slider with its live preview', () => {
  it('asks the studio for a preview at the slider’s ε after a pause, and shows σ, SNR, spend after, remaining and what fits', async () => {
    const { api, form } = setup();
    const slider = document.querySelector<HTMLInputElement>('#epsilon-slider')!;
    expect(document.querySelector('label[for="epsilon-slider"]')?.textContent).toContain('ε for this generation');

    slider.value = String(sliderFromEpsilon(0.5));
    slider.dispatchEvent(new Event('input', { bubbles: true }));
    flushSync();
    expect(form.epsilon).toBe(0.5);
    expect(text('epsilon-value')).toBe('ε 0.5');
    expect(api['generate.preview']).not.toHaveBeenCalled(); // debounced
    await vi.advanceTimersByTimeAsync(DEBOUNCE_MS + 1);
    flushSync();
    expect(api['generate.preview']).toHaveBeenCalledWith({ datasetId: 'demo', epsilon: 0.5 });
    expect(text('preview-sigma')).toBe('2');
    expect(text('preview-influence')).toBe('some');
    expect(text('preview-influence-words')).toMatch(/^Folder influence: some\./);
    expect(text('preview-cumulative')).toBe('ε 2.5');
    expect(text('preview-remaining')).toBe('ε 7.5');
    expect(text('preview-fit')).toBe('15');
    const shown = document.querySelector<HTMLElement>('[data-testid="preview"]')!;
    expect([shown.dataset.dataset, shown.dataset.epsilon]).toEqual(['demo', '0.5']); // what the numbers answer

    slider.value = String(sliderFromEpsilon(2));
    slider.dispatchEvent(new Event('input', { bubbles: true }));
    await vi.advanceTimersByTimeAsync(DEBOUNCE_MS + 1);
    flushSync();
    expect(text('preview-sigma')).toBe('0.5');
    expect(text('preview-remaining')).toBe('ε 6');
    expect(text('preview-fit')).toBe('3');
  });

  it('drops a stale preview that answers after a newer one', async () => {
    const { api, form } = setup();
    let release!: () => void;
    vi.mocked(api['generate.preview'])
      .mockImplementationOnce(() => new Promise((resolve) => (release = () => resolve(previewFor(0.1)))))
      .mockImplementationOnce(async () => previewFor(3));
    form.setEpsilon(0.1);
    const slow = form.refreshPreview('demo');
    form.setEpsilon(3);
    await form.refreshPreview('demo');
    release();
    await slow;
    flushSync();
    expect(form.preview?.epsilonCost).toBe(3);
    expect(text('preview-sigma')).toBe('0.333');
  });

  it('warns when the generation would not fit and shows preview errors readably', async () => {
    const { api, form } = setup();
    form.setEpsilon(9);
    await form.refreshPreview('demo');
    flushSync();
    expect(form.preview?.admissible).toBe(false);
    expect(document.body.textContent).toContain('would exceed the budget');
    expect(text('preview-remaining')).toBe('over the cap'); // not “ε 0 left”: nothing would be spent

    vi.mocked(api['generate.preview']).mockRejectedValueOnce(new StudioError('NOT_FOUND', 'no dataset "demo"'));
    await form.refreshPreview('demo');
    flushSync();
    expect(document.querySelector('[role="alert"]')?.textContent).toContain('no dataset "demo"');
  });

  it('offers only the dataset’s useful spend range: the ends read from it, ε kept inside, nothing when it is spent', () => {
    const { form } = setup();
    form.adoptRange({ min: 0.0012, max: 0.1 });
    flushSync();
    const slider = document.querySelector<HTMLInputElement>('#epsilon-slider')!;
    expect([slider.dataset.minEpsilon, slider.dataset.maxEpsilon]).toEqual(['0.0012', '0.1']);
    expect(document.querySelector('#epsilon-scale')?.textContent).toMatch(/ε 0\.0012 · more private.*ε 0\.1 · all that is left/);
    expect(form.epsilon).toBe(0.1); // 0.5 no longer fits: the most that does
    slider.value = '0';
    slider.dispatchEvent(new Event('input', { bubbles: true }));
    expect(form.epsilon).toBe(0.0012);
    slider.value = slider.max;
    slider.dispatchEvent(new Event('input', { bubbles: true }));
    expect(form.epsilon).toBe(0.1);
    form.setEpsilon(5); // a recalled spend that no longer fits
    expect(form.epsilon).toBe(0.1);
    form.adoptRange({ min: 0.001, max: 50 }); // the top is at most ε 10 for one generation
    expect(form.range).toEqual({ min: 0.001, max: 10 });
    form.adoptRange(null);
    flushSync();
    expect(slider.disabled).toBe(true);
    expect(document.querySelector('#epsilon-scale')?.textContent).toContain('Nothing more fits');
  });

  it('disables the slider and explains the cost in public-only mode', async () => {
    const { api, form } = setup();
    form.publicOnly = true;
    await form.refreshPreview('demo');
    flushSync();
    expect(document.querySelector<HTMLInputElement>('#epsilon-slider')!.disabled).toBe(true);
    expect(document.body.textContent).toContain('Costs no privacy budget');
    expect(api['generate.preview']).not.toHaveBeenCalled();
  });
});

describe('GenerateForm requests', () => {
  it('builds a private request with one explicit seed per image and only the overrides the user set', () => {
    const form = new GenerateForm(fakeApi());
    form.prompt = '  a red circle  ';
    form.setEpsilon(0.5);
    form.images = 3;
    form.seed = 2 ** 32 - 2;
    form.k = 12;
    const request = form.request('demo', 'job-1');
    expect(request).toEqual({ datasetId: 'demo', prompt: 'a red circle', images: 3, guidance: 3, steps: GENERATION_DEFAULTS.steps, sampler: GENERATION_DEFAULTS.sampler, seeds: [2 ** 32 - 2, 2 ** 32 - 1, 0], jobId: 'job-1', publicOnly: false, epsilon: 0.5, lambda: 1, k: 12 });
  });

  it('builds a public-only request without ε', () => {
    const form = new GenerateForm(fakeApi());
    form.prompt = 'x';
    form.publicOnly = true;
    const request = form.request('demo', 'job-2');
    expect(request.publicOnly).toBe(true);
    expect(request).not.toHaveProperty('epsilon');
    expect(request.seeds).toHaveLength(4);
  });

  it('recalls a past generation’s parameters', () => {
    const form = new GenerateForm(fakeApi());
    form.recall(
      {
        generationId: 'g',
        datasetId: 'demo',
        prompt: 'blue square',
        createdAt: '',
        publicOnly: false,
        receiptId: 'r',
        parameters: { sigma: 1, k: 9, q: 0.3, lambda: 0.8, epsilonCost: 0.25, influence: 'weak' },
        images: [{ imageId: 'i', index: 0, seed: 77, guidance: 5, steps: 30, sampler: 'ddim', url: '' }],
        conditionHeld: true,
        cancelled: false,
      },
      77,
    );
    expect(form.prompt).toBe('blue square');
    expect(form.epsilon).toBe(epsilonFromSlider(sliderFromEpsilon(0.25)));
    expect(form.epsilon).toBeCloseTo(0.25, 10);
    expect([form.k, form.q, form.lambda, form.guidance, form.steps, form.seed, form.images]).toEqual([9, 0.3, 0.8, 5, 30, 77, 1]);
  });
});
