import { SvelteSet } from 'svelte/reactivity';
import { StudioError, type ExportResult, type GeneratedImage, type GenerationRecord, type GenerationResult, type StudioEvent } from '../../../core/contract/contract.ts';
import { readableError, type ReadableError } from '../lib/errors.ts';
import { formatEpsilon } from '../lib/format.ts';

export type TileStatus = 'waiting' | 'rendering' | 'done' | 'cancelled' | 'failed';

export interface Tile {
  readonly index: number;
  readonly status: TileStatus;
  readonly step: number;
  readonly steps: number;
  readonly seed: number | undefined;
  /** The newest per-step preview (a data: URL) until the final image arrives. */
  readonly previewUrl: string | undefined;
  readonly image: GeneratedImage | undefined;
}

export interface RunInfo {
  readonly jobId: string;
  readonly images: number;
  readonly steps: number;
  readonly seeds?: readonly number[];
  /** True when the run costs nothing: public-only, or variations from a held condition. */
  readonly publicOnly: boolean;
  /** Variations of an earlier generation (free while its noisy condition is held). */
  readonly variations?: boolean;
  readonly epsilon?: number;
  readonly label: string;
}

/**
 * The sample grid: tiles fill with per-step previews and progress, then the final images; cancellation says
 * whether the privacy charge was already spent; images can be selected for export.
 */
export class SampleGrid {
  tiles = $state<Tile[]>([]);
  run = $state.raw<RunInfo | null>(null);
  /** The generation the tiles show once it finished (for its parameters, recall and re-render). */
  generation = $state.raw<GenerationResult | null>(null);
  phase = $state<string>('');
  cancelling = $state(false);
  notice = $state<string | null>(null);
  /** 'warn' when the notice reports budget spent for nothing (a cancel after the charge). */
  noticeTone = $state<'info' | 'warn'>('info');
  error = $state.raw<ReadableError | null>(null);
  exported = $state.raw<ExportResult | null>(null);
  readonly selected = new SvelteSet<string>();

  readonly running = $derived(this.run !== null);
  readonly progress = $derived(gridProgress(this.tiles));
  /** True once sampling has begun on a private run: the charge is already committed to the ledger. */
  readonly chargeCommitted = $derived(this.run !== null && !this.run.publicOnly && (this.phase === 'sampling' || this.tiles.some((t) => t.step > 0 || t.status === 'done')));
  readonly doneImages = $derived(this.tiles.flatMap((t) => (t.image ? [t.image] : [])));

  begin(run: RunInfo): void {
    this.run = run;
    this.generation = null;
    this.phase = 'queued';
    this.cancelling = false;
    this.notice = null;
    this.error = null;
    this.exported = null;
    this.selected.clear();
    this.tiles = Array.from({ length: run.images }, (_, index) => ({ index, status: 'waiting', step: 0, steps: run.steps, seed: run.seeds?.[index], previewUrl: undefined, image: undefined }));
  }

  handleEvent(event: StudioEvent): void {
    if (!this.run || event.jobId !== this.run.jobId) return;
    switch (event.type) {
      case 'progress':
        if (event.task === 'generate') this.phase = event.phase;
        return;
      case 'preview':
        this.patch(event.imageIndex, (t) => (t.status === 'done' ? t : { ...t, status: 'rendering', step: event.step, steps: event.steps, previewUrl: event.pngDataUrl }));
        return;
      case 'image':
        this.patch(event.image.index, (t) => ({ ...t, status: 'done', step: t.steps, seed: event.image.seed, image: event.image }));
        return;
      case 'job-end':
        return;
    }
  }

  /** The call returned: show the final images (authoritative over events) and what the run cost. */
  complete(result: GenerationResult): void {
    const count = Math.max(this.tiles.length, ...result.images.map((image) => image.index + 1));
    const tiles = Array.from({ length: count }, (_, index): Tile => this.tiles[index] ?? { index, status: 'waiting', step: 0, steps: 0, seed: undefined, previewUrl: undefined, image: undefined });
    this.tiles = tiles.map((t) => {
      const image = result.images.find((candidate) => candidate.index === t.index);
      if (image) return { ...t, status: 'done', step: image.steps, steps: image.steps, seed: image.seed, image };
      return { ...t, status: result.cancelled ? 'cancelled' : 'failed' };
    });
    this.generation = result;
    if (result.cancelled) this.setCancelNotice(result.publicOnly, result.chargeSpent, result.parameters.epsilonCost, this.run?.variations === true);
    this.run = null;
    this.phase = '';
    this.cancelling = false;
  }

  fail(error: unknown): ReadableError {
    const run = this.run;
    const cancelled = error instanceof StudioError && error.code === 'CANCELLED';
    // A refusal or failure with nothing drawn leaves no empty tiles behind: the message stands alone.
    const anyDone = this.tiles.some((t) => t.status === 'done');
    this.tiles = !cancelled && !anyDone ? [] : this.tiles.map((t) => (t.status === 'done' ? t : { ...t, status: cancelled ? 'cancelled' : 'failed' }));
    const readable = readableError(error, 'Generating');
    if (cancelled) this.setCancelNotice(run?.publicOnly ?? true, this.chargeCommitted, run?.epsilon ?? 0, run?.variations === true);
    else this.error = readable;
    this.run = null;
    this.phase = '';
    this.cancelling = false;
    return readable;
  }

  /** Shows a past generation's images (from history) in the grid. */
  show(record: GenerationRecord): void {
    this.run = null;
    this.error = null;
    this.notice = null;
    this.exported = null;
    this.selected.clear();
    this.generation = { ...record, cumulativeEpsilon: null, remainingEpsilon: null, chargeSpent: record.receiptId !== null };
    this.tiles = record.images.map((image) => ({ index: image.index, status: 'done', step: image.steps, steps: image.steps, seed: image.seed, previewUrl: undefined, image }));
  }

  toggle(imageId: string): void {
    if (this.selected.has(imageId)) this.selected.delete(imageId);
    else this.selected.add(imageId);
  }

  selectAll(): void {
    for (const image of this.doneImages) this.selected.add(image.imageId);
  }

  clearSelection(): void {
    this.selected.clear();
  }

  private setCancelNotice(publicOnly: boolean, chargeSpent: boolean, epsilon: number, variations: boolean): void {
    this.notice = cancelNotice(publicOnly, chargeSpent, epsilon, variations);
    this.noticeTone = chargeSpent && !publicOnly ? 'warn' : 'info';
  }

  private patch(index: number, update: (tile: Tile) => Tile): void {
    const tile = this.tiles[index];
    if (!tile) return;
    this.tiles[index] = update(tile);
  }
}

/** Fraction of all denoising steps done across the grid (finished tiles count fully). */
export function gridProgress(tiles: readonly Tile[]): number {
  if (!tiles.length) return 0;
  let sum = 0;
  for (const t of tiles) sum += t.status === 'done' ? 1 : t.steps > 0 ? Math.min(1, t.step / t.steps) : 0;
  return sum / tiles.length;
}

export function cancelNotice(publicOnly: boolean, chargeSpent: boolean, epsilon: number, variations = false): string {
  if (variations && !chargeSpent) return 'Cancelled. Variations reuse the noisy condition already paid for: no privacy budget was spent.';
  if (publicOnly) return 'Cancelled. Public-only generations cost no privacy budget.';
  if (chargeSpent) return `Cancelled. The privacy charge for this generation (ε ${formatEpsilon(epsilon)}) was already spent and is not refunded: the private folder had been read.`;
  return 'Cancelled before the privacy charge: no budget was spent.';
}
