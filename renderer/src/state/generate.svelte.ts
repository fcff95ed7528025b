import { GENERATION_DEFAULTS, type GenerationPreview, type GenerationRecord, type PromptCheck, type Sampler, type StudioApi, type StudioRequest } from '../../../core/contract/contract.ts';
import { readableError, type ReadableError } from '../lib/errors.ts';
import { EPSILON_MAX, EPSILON_MIN, epsilonFromSlider, randomSeed, sliderFromEpsilon } from '../lib/format.ts';

/** How long typing/sliding must pause before the studio is asked for a preview or a prompt check. */
export const DEBOUNCE_MS = 150;

/**
 * The Generate form: prompt, the log-scale ε slider with its live preview, advanced settings and public-only.
 * Preview and prompt-check replies that arrive out of order are dropped (only the newest request counts).
 */
export class GenerateForm {
  prompt = $state('');
  /** The ε this generation may cost, always inside `range`. */
  epsilon = $state(0.5);
  /** What the slider offers: the selected dataset's useful spend range (null: nothing more fits). */
  range = $state.raw<{ readonly min: number; readonly max: number } | null>({ min: EPSILON_MIN, max: EPSILON_MAX });
  publicOnly = $state(false);
  /** Whether the advanced settings are unfolded (kept across screen switches). */
  advancedOpen = $state(false);
  /** Advanced settings; undefined = the dataset's default. */
  k = $state<number | undefined>(undefined);
  q = $state<number | undefined>(undefined);
  lambda = $state<number>(GENERATION_DEFAULTS.lambda);
  guidance = $state<number>(GENERATION_DEFAULTS.guidance);
  steps = $state<number>(GENERATION_DEFAULTS.steps);
  sampler = $state<Sampler>(GENERATION_DEFAULTS.sampler);
  images = $state<number>(GENERATION_DEFAULTS.images);
  /** Empty = fresh random seeds; a number = seeds seed, seed+1, … */
  seed = $state<number | undefined>(undefined);

  /**
   * The private generation last recalled whose noisy condition the studio still holds: while the prompt and every
   * privacy setting stay as recalled, Generate re-renders from it (free; the same seed gives the same pixels).
   */
  recalled = $state.raw<{ readonly generationId: string; readonly datasetId: string; readonly prompt: string; readonly epsilon: number; readonly lambda: number; readonly k: number; readonly q: number | undefined } | null>(null);

  preview = $state.raw<GenerationPreview | null>(null);
  /** The dataset and ε the shown preview answers (the slider may already have moved on). */
  previewedFor = $state.raw<{ readonly datasetId: string; readonly epsilon: number } | null>(null);
  previewError = $state.raw<ReadableError | null>(null);
  promptCheck = $state.raw<PromptCheck | null>(null);

  readonly unknownWords = $derived(this.promptCheck?.unknownWords ?? []);

  private previewSeq = 0;
  private checkSeq = 0;
  private previewTimer: ReturnType<typeof setTimeout> | undefined;
  private checkTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly api: StudioApi) {}

  /** The slider's position for ε on the log scale of the range (what `bind:value` reads and writes). */
  get slider(): number {
    return this.range ? sliderFromEpsilon(this.epsilon, this.range.min, this.range.max) : 0;
  }

  set slider(position: number) {
    if (this.range) this.epsilon = epsilonFromSlider(position, this.range.min, this.range.max);
  }

  /** Sets ε, kept inside the range (a recalled spend that no longer fits becomes the most that does). */
  setEpsilon(epsilon: number): void {
    this.epsilon = this.range ? Math.min(this.range.max, Math.max(this.range.min, epsilon)) : epsilon;
  }

  /**
   * A dataset's spend range (at selection, and after every change of its budget); ε moves inside it. The top is at
   * most EPSILON_MAX: one generation at ε 10 already gets noise far below what the decoder notices.
   */
  adoptRange(range: { readonly min: number; readonly max: number } | null | undefined): void {
    if (range === undefined) return;
    const next = range && { min: Math.min(range.min, EPSILON_MAX), max: Math.min(range.max, EPSILON_MAX) };
    if (next?.min === this.range?.min && next?.max === this.range?.max) return;
    this.range = next;
    this.setEpsilon(this.epsilon);
  }

  private defaultsFor: string | null = null;

  /** On a newly selected dataset the slider starts at that dataset's planned spend (cap / planned generations). */
  adoptDefaults(datasetId: string | null, plannedEpsilon: number | undefined, lambda?: number): void {
    if (datasetId === this.defaultsFor || plannedEpsilon === undefined) return;
    this.defaultsFor = datasetId;
    this.setEpsilon(plannedEpsilon);
    if (lambda !== undefined) this.lambda = lambda;
  }

  /** Asks for a fresh preview after a short pause; call on every change of dataset, ε, k or q. */
  schedulePreview(datasetId: string | null): void {
    clearTimeout(this.previewTimer);
    this.previewTimer = setTimeout(() => void this.refreshPreview(datasetId), DEBOUNCE_MS);
  }

  async refreshPreview(datasetId: string | null): Promise<void> {
    const seq = ++this.previewSeq;
    if (!datasetId || this.publicOnly) {
      this.preview = null;
      this.previewedFor = null;
      this.previewError = null;
      return;
    }
    const epsilon = this.epsilon;
    try {
      const preview = await this.api['generate.preview']({ datasetId, epsilon, ...this.mechanismOverrides() });
      if (seq !== this.previewSeq) return;
      this.preview = preview;
      this.previewedFor = { datasetId, epsilon };
      this.previewError = null;
    } catch (error) {
      if (seq !== this.previewSeq) return;
      this.preview = null;
      this.previewedFor = null;
      this.previewError = readableError(error, 'The preview');
    }
  }

  scheduleCheck(): void {
    clearTimeout(this.checkTimer);
    this.checkTimer = setTimeout(() => void this.checkPrompt(), DEBOUNCE_MS);
  }

  async checkPrompt(): Promise<void> {
    const seq = ++this.checkSeq;
    const prompt = this.prompt;
    if (!prompt.trim()) {
      this.promptCheck = null;
      return;
    }
    try {
      const check = await this.api['prompt.check']({ prompt });
      if (seq === this.checkSeq) this.promptCheck = check;
    } catch {
      // Hints are a nicety: a failed check leaves the last hints in place.
    }
  }

  /** The request for `generate.run`, with explicit seeds so every tile can show its own. */
  request(datasetId: string, jobId: string): StudioRequest<'generate.run'> {
    const seeds = this.seedList();
    const common = { datasetId, prompt: this.prompt.trim(), images: this.images, guidance: this.guidance, steps: this.steps, sampler: this.sampler, seeds, jobId };
    if (this.publicOnly) return { ...common, publicOnly: true };
    return { ...common, publicOnly: false, epsilon: this.epsilon, lambda: this.lambda, ...this.mechanismOverrides() };
  }

  /** Whether Generate would re-render a recalled generation's kept condition (nothing private changed since). */
  reusesCondition(datasetId: string | null): boolean {
    const r = this.recalled;
    return r !== null && !this.publicOnly && r.datasetId === datasetId && r.prompt === this.prompt.trim() && r.epsilon === this.epsilon && r.lambda === this.lambda && r.k === this.k && r.q === this.q;
  }

  /** One explicit seed per image (the form's seed and the ones after it, or fresh random ones), so every tile shows its own. */
  seedList(): number[] {
    const first = this.seed ?? randomSeed();
    return Array.from({ length: this.images }, (_, i) => (first + i) % 2 ** 32);
  }

  /** Loads a past generation's prompt and parameters back into the form. */
  recall(record: GenerationRecord, imageSeed?: number): void {
    this.prompt = record.prompt;
    this.publicOnly = record.publicOnly;
    if (!record.publicOnly && record.parameters.epsilonCost > 0) this.setEpsilon(record.parameters.epsilonCost);
    this.lambda = record.parameters.lambda;
    this.k = record.parameters.k;
    this.q = record.parameters.q ?? undefined;
    const first = record.images[0];
    if (first) {
      this.guidance = first.guidance;
      this.steps = first.steps;
      this.sampler = first.sampler;
    }
    this.images = imageSeed !== undefined ? 1 : Math.max(1, record.images.length);
    this.seed = imageSeed ?? first?.seed;
    this.recalled =
      !record.publicOnly && record.conditionHeld && record.datasetId !== null
        ? { generationId: record.generationId, datasetId: record.datasetId, prompt: record.prompt, epsilon: this.epsilon, lambda: this.lambda, k: record.parameters.k, q: this.q }
        : null;
  }

  resetAdvanced(): void {
    this.k = undefined;
    this.q = undefined;
    this.lambda = GENERATION_DEFAULTS.lambda;
    this.guidance = GENERATION_DEFAULTS.guidance;
    this.steps = GENERATION_DEFAULTS.steps;
    this.sampler = GENERATION_DEFAULTS.sampler;
    this.images = GENERATION_DEFAULTS.images;
    this.seed = undefined;
  }

  dispose(): void {
    clearTimeout(this.previewTimer);
    clearTimeout(this.checkTimer);
  }

  private mechanismOverrides(): { k?: number; q?: number } {
    return { ...(this.k !== undefined ? { k: this.k } : {}), ...(this.q !== undefined ? { q: this.q } : {}) };
  }
}
