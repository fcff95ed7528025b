// The studio service end to end with the real models: dataset → preview → private generation with provenance →
// ledger charged once → free re-render → export → restart (re-render charges anew) → budget exhausted → public-only.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultModelDir } from '../../../core/datasets/index.ts';
import type { DatasetSummary, GenerationPreview, GenerationResult } from '../../../core/contract/contract.ts';
import { openLedger } from '../../../core/ledger/index.ts';
import { LEDGER_FILE_NAME } from '../../../core/paths.ts';
import { createStudioService, type StudioService } from '../../../core/studio/service.ts';
import { cleanupTemp, EventLog, localApi, pngProvenance, privateFolder, rejectionOf, STUDIO_VERSION, tempDir } from './helpers.ts';

const PROMPT = 'a red circle on a blue background';
const manifestSha = createHash('sha256').update(readFileSync(join(defaultModelDir(), 'manifest.json'))).digest('hex');

describe('studio service end to end (real models)', () => {
  let home: string;
  let folder: string;
  let service: StudioService;
  let dataset: DatasetSummary;
  let preview: GenerationPreview;
  let first: GenerationResult;
  let publicResult: GenerationResult;
  const call = localApi(() => service);

  beforeAll(async () => {
    home = tempDir('dprdm-studio-home-');
    folder = privateFolder(40);
    service = await createStudioService({ home });
  });
  afterAll(async () => {
    await service?.close();
    cleanupTemp();
  });

  it('indexes a small private folder with its budget', async () => {
    dataset = await call('datasets.add', { folder, epsilonCap: 3 });
    expect(dataset.imageCount).toBe(40);
    expect(dataset.budget).toMatchObject({ epsilonCap: 3, spentEpsilon: 0, queries: 0, locked: false });
    // k from the manifest; the class [20, 50) (never the exact 40) fixes q = min(1, 4·k/20) and δ = min(1e-5, 1/(10·50)).
    expect(dataset.defaults).toMatchObject({ k: 8, q: 1, delta: 1e-5, sizeClass: { lower: 20, upper: 50 }, plannedGenerations: 100, epsilon: 0.03 });
    expect(dataset.defaults.order).toBeGreaterThan(1);
    expect(JSON.stringify(dataset)).not.toMatch(/fingerprint/i);
    expect((await call('datasets.list', {})).map((d) => d.id)).toEqual([dataset.id]);
  });

  it('previews, then charges exactly once and writes images carrying their provenance', async () => {
    preview = await call('generate.preview', { datasetId: dataset.id, epsilon: 1 });
    expect(preview.admissible).toBe(true);
    expect(preview.epsilonCost).toBeLessThanOrEqual(1);
    expect(preview.epsilonCost).toBeGreaterThan(0.99);
    expect(preview.noiseMultiplier).toBeCloseTo((preview.sigma * preview.k) / 2, 12);
    expect((await call('ledger.show', { datasetId: dataset.id })).entries).toHaveLength(0); // a preview is free

    first = await call('generate.run', { datasetId: dataset.id, prompt: PROMPT, epsilon: 1, images: 2, steps: 5, guidance: 3, seeds: [11, 12] });
    expect(first).toMatchObject({ datasetId: dataset.id, prompt: PROMPT, publicOnly: false, cancelled: false, chargeSpent: true, conditionHeld: true });
    expect(first.images.map((i) => i.seed)).toEqual([11, 12]);
    expect(first.parameters.sigma).toBeCloseTo(preview.sigma, 12);
    expect(first.cumulativeEpsilon).toBeCloseTo(preview.cumulativeEpsilonAfter, 12);
    expect(first.remainingEpsilon).toBeCloseTo(preview.remainingEpsilonAfter, 12);

    const ledger = await call('ledger.show', { datasetId: dataset.id });
    expect(ledger.entries).toHaveLength(1);
    expect(ledger.entries[0]!.receiptId).toBe(first.receiptId);
    expect(ledger.entries[0]!.cumulativeEpsilon).toBeCloseTo(preview.cumulativeEpsilonAfter, 12);
    expect(ledger.entries[0]!.sigma).toBeCloseTo(preview.sigma, 12);
    expect(ledger.budget.queries).toBe(1);

    for (const image of first.images) {
      const file = service.resolveFile(image.url.split('/').slice(2));
      expect(file).toBeDefined();
      expect(relative(join(home, 'generations'), file!).startsWith('..')).toBe(false);
      const bytes = readFileSync(file!);
      const meta = await sharp(bytes).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['png', 32, 32]);
      const { parameters, dprdm } = pngProvenance(bytes);
      expect(parameters.split('\n')[0]).toBe(PROMPT);
      for (const part of [`Steps: 5`, 'Sampler: DPM++ 2M', 'CFG scale: 3', `Seed: ${image.seed}`, 'Size: 32x32', 'Model: looks-v1-1.0.0', `Model hash: ${manifestSha.slice(0, 10)}`, `Ledger receipt: ${first.receiptId}`, `Version: DP-RDM Studio ${STUDIO_VERSION}`]) {
        expect(parameters).toContain(part);
      }
      expect(dprdm).toMatchObject({
        prompt: PROMPT,
        seed: image.seed,
        steps: 5,
        guidance: 3,
        width: 32,
        height: 32,
        modelSet: { name: 'looks-v1', version: '1.0.0', sha256: manifestSha },
        studioVersion: STUDIO_VERSION,
        generationId: first.generationId,
        privacy: { mode: 'private', datasetId: dataset.id, receiptId: first.receiptId, epsilonCap: 3, delta: 1e-5, mechanism: { q: 1, k: 8, lambda: 1 } },
      });
      if (dprdm.privacy.mode !== 'private') throw new Error('unreachable');
      expect(dprdm.privacy.epsilonCost).toBeCloseTo(preview.epsilonCost, 12);
      expect(dprdm.privacy.cumulativeEpsilon).toBeCloseTo(preview.cumulativeEpsilonAfter, 12);
      expect(dprdm.privacy.mechanism.sigma).toBeCloseTo(preview.sigma, 12);
    }
    // The two seeds drew different images from the one condition.
    const [a, b] = first.images.map((i) => readFileSync(service.resolveFile(i.url.split('/').slice(2))!));
    expect(a!.equals(b!)).toBe(false);
  });

  it('streams every preview of an image before the image itself, the first image alone, and ends with job-end', async () => {
    const events = new EventLog();
    const unsubscribe = service.subscribe(events.push);
    try {
      const result = await call('generate.run', { datasetId: dataset.id, prompt: PROMPT, publicOnly: true, images: 6, steps: 10, jobId: 'order-1' });
      const log = events.forJob('order-1');
      const imageAt = (index: number) => log.findIndex((e) => e.type === 'image' && e.image.index === index);
      for (let index = 0; index < result.images.length; index++) {
        const previews = log.map((e, at) => ({ e, at })).filter(({ e }) => e.type === 'preview' && e.imageIndex === index);
        expect(previews.length).toBeGreaterThan(0); // a preview every 5 of the 10 steps
        expect(Math.max(...previews.map(({ at }) => at))).toBeLessThan(imageAt(index));
      }
      // The first image is sampled alone, so it is out before any preview of the second batch.
      expect(imageAt(0)).toBeLessThan(log.findIndex((e) => e.type === 'preview' && e.imageIndex === 1));
      expect(log.at(-1)).toMatchObject({ type: 'job-end' });
    } finally {
      unsubscribe();
    }
  });

  it('re-renders from the held condition at no privacy cost', async () => {
    const again = await call('generate.rerender', { generationId: first.generationId, seeds: [21, 22, 23], guidance: 5, steps: 3 });
    expect(again).toMatchObject({ chargeSpent: false, cancelled: false, conditionHeld: true, receiptId: first.receiptId });
    expect(again.generationId).not.toBe(first.generationId);
    expect(again.parameters.epsilonCost).toBe(0);
    expect(again.images.map((i) => [i.seed, i.guidance, i.steps])).toEqual([
      [21, 5, 3],
      [22, 5, 3],
      [23, 5, 3],
    ]);
    const ledger = await call('ledger.show', { datasetId: dataset.id });
    expect(ledger.entries).toHaveLength(1);
    expect(again.cumulativeEpsilon).toBeCloseTo(ledger.budget.spentEpsilon, 12);
    // The re-rendered images carry the provenance of the query their condition came from.
    const { dprdm } = pngProvenance(readFileSync(service.resolveFile(again.images[0]!.url.split('/').slice(2))!));
    expect(dprdm.privacy).toMatchObject({ mode: 'private', receiptId: first.receiptId });
    expect(dprdm).toMatchObject({ seed: 21, guidance: 5, steps: 3 });
  });

  it('generates public-only without touching the ledger', async () => {
    publicResult = await call('generate.run', { datasetId: dataset.id, prompt: 'a green star', publicOnly: true, images: 1, steps: 2 });
    expect(publicResult).toMatchObject({ publicOnly: true, receiptId: null, chargeSpent: false, cumulativeEpsilon: null, remainingEpsilon: null, datasetId: dataset.id });
    expect(publicResult.parameters.epsilonCost).toBe(0);
    const { dprdm, parameters } = pngProvenance(readFileSync(service.resolveFile(publicResult.images[0]!.url.split('/').slice(2))!));
    expect(dprdm.privacy).toEqual({ mode: 'public-only' });
    expect(parameters).toContain('public-only');
    expect((await call('ledger.show', { datasetId: dataset.id })).entries).toHaveLength(1);
    const history = await call('history.list', { datasetId: dataset.id });
    expect(history.map((g) => g.generationId)).toContain(publicResult.generationId);
    expect(history.map((g) => g.generationId)).toContain(first.generationId);
  });

  it('exports PNGs with manifest.json, manifest.csv and PRIVACY.md inside <home>/exports', async () => {
    const ids = [...first.images.map((i) => i.imageId), publicResult.images[0]!.imageId];
    const out = await call('export.images', { imageIds: ids, folder: 'first-export' });
    expect(out.folder).toBe(join(home, 'exports', 'first-export'));
    expect(out.files).toEqual(expect.arrayContaining(['manifest.json', 'manifest.csv', 'PRIVACY.md']));
    expect(readdirSync(out.folder).sort()).toEqual([...out.files].sort());
    const pngs = out.files.filter((f) => f.endsWith('.png'));
    expect(pngs).toHaveLength(3);
    const manifest = JSON.parse(readFileSync(join(out.folder, 'manifest.json'), 'utf8')) as { images: { file: string; sha256: string; provenance: { privacy: { mode: string; receiptId?: string } } }[] };
    expect(manifest.images.map((i) => i.file)).toEqual(pngs);
    for (const entry of manifest.images) {
      const bytes = readFileSync(join(out.folder, entry.file));
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(entry.sha256);
      expect(pngProvenance(bytes).dprdm.privacy.mode).toBe(entry.provenance.privacy.mode);
    }
    expect(manifest.images.map((i) => i.provenance.privacy.mode)).toEqual(['private', 'private', 'public-only']);
    const csv = readFileSync(join(out.folder, 'manifest.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(4);
    expect(csv[0]).toMatch(/^file,sha256,prompt,seed,/);
    expect(csv[1]).toContain(first.receiptId!);
    const statement = readFileSync(join(out.folder, 'PRIVACY.md'), 'utf8');
    expect(statement).toContain(dataset.id);
    expect(statement).toContain('ε = 3');
    expect(statement).toContain('2 private, 1 public-only');
    // The export changed nothing in the ledger.
    expect((await call('ledger.show', { datasetId: dataset.id })).entries).toHaveLength(1);
  });

  it('refuses export folders outside <home>/exports (transports) and existing ones', async () => {
    const id = first.images[0]!.imageId;
    for (const bad of ['../outside', '../../etc', tempDir('dprdm-elsewhere-'), folder, join(folder, 'sub'), home, join(home, 'generations')]) {
      const error = await rejectionOf(call('export.images', { imageIds: [id], folder: bad }));
      expect(error.code, bad).toBe('INVALID_REQUEST');
    }
    expect(existsSync(join(folder, 'sub'))).toBe(false);
    expect((await rejectionOf(call('export.images', { imageIds: [id], folder: 'first-export' }))).code).toBe('INVALID_REQUEST');
    expect((await rejectionOf(call('export.images', { imageIds: ['img_doesnotexist'] }))).code).toBe('NOT_FOUND');
    // Nothing was written into the private folder.
    expect(readdirSync(folder).every((f) => /^img-\d+\.png$/.test(f))).toBe(true);
  });

  it('after a restart a private re-render is free and gives the same pixels for the same seed; export never writes into a private folder', async () => {
    const seed = first.images[0]!.seed;
    const pixels = async (url: string) => sharp(readFileSync(service.resolveFile(url.split('?')[0]!.split('/').slice(2))!)).raw().toBuffer();
    const original = await pixels(first.images[0]!.url);
    await service.close();
    service = await createStudioService({ home, exportAnywhere: true });
    const history = await call('history.list', { datasetId: dataset.id });
    expect(history.find((g) => g.generationId === first.generationId)?.conditionHeld).toBe(true); // kept in the local history
    const before = await call('ledger.show', { datasetId: dataset.id });
    const again = await call('generate.rerender', { generationId: first.generationId, seeds: [seed], steps: first.images[0]!.steps, guidance: first.images[0]!.guidance });
    expect(again.chargeSpent).toBe(false);
    expect(again.receiptId).toBe(first.receiptId);
    expect((await pixels(again.images[0]!.url)).equals(original)).toBe(true); // the same image, byte for byte
    const after = await call('ledger.show', { datasetId: dataset.id });
    expect(after.entries).toEqual(before.entries); // nothing was charged

    // Even with exportAnywhere (the CLI's --out), never inside, or around, a registered private folder.
    const id = again.images[0]!.imageId;
    const parent = join(folder, '..');
    for (const bad of [folder, join(folder, 'exports'), join(folder, 'a', 'b'), parent]) {
      expect((await rejectionOf(call('export.images', { imageIds: [id], folder: bad }))).code, bad).toBe('INVALID_REQUEST');
    }
    expect(readdirSync(folder).every((f) => /^img-\d+\.png$/.test(f))).toBe(true);
    const elsewhere = join(tempDir('dprdm-out-'), 'out');
    const out = await call('export.images', { imageIds: [id], folder: elsewhere });
    expect(out.folder).toBe(elsewhere);
    expect(readdirSync(elsewhere)).toHaveLength(4);
  });

  it('renders with DPM-Solver++ when asked: recorded per image, in the provenance, kept by a re-render; more than 100 steps refused', async () => {
    const dpm = await call('generate.run', { datasetId: dataset.id, prompt: PROMPT, publicOnly: true, images: 1, steps: 4, sampler: 'dpmpp-2m', seeds: [7] });
    expect(dpm.images[0]).toMatchObject({ sampler: 'dpmpp-2m', steps: 4, seed: 7 });
    const file = service.resolveFile(dpm.images[0]!.url.split('?')[0]!.split('/').slice(2))!;
    expect(pngProvenance(readFileSync(file)).parameters).toMatch(/Steps: 4, Sampler: DPM\+\+ 2M,/);
    const ddim = await call('generate.run', { datasetId: dataset.id, prompt: PROMPT, publicOnly: true, images: 1, steps: 4, sampler: 'ddim', seeds: [7] });
    expect(ddim.images[0]!.sampler).toBe('ddim');
    const pixels = (url: string) => sharp(readFileSync(service.resolveFile(url.split('?')[0]!.split('/').slice(2))!)).raw().toBuffer();
    expect((await pixels(dpm.images[0]!.url)).equals(await pixels(ddim.images[0]!.url))).toBe(false); // another solver, other pixels
    const again = await call('generate.rerender', { generationId: dpm.generationId, seeds: [7] });
    expect(again.images[0]).toMatchObject({ sampler: 'dpmpp-2m', steps: 4 });
    expect((await pixels(again.images[0]!.url)).equals(await pixels(dpm.images[0]!.url))).toBe(true);
    expect((await rejectionOf(call('generate.run', { datasetId: dataset.id, prompt: PROMPT, publicOnly: true, steps: 101, sampler: 'dpmpp-2m' }))).code).toBe('INVALID_REQUEST');
    expect((await rejectionOf(call('generate.rerender', { generationId: ddim.generationId, steps: 150, sampler: 'dpmpp-2m' }))).code).toBe('INVALID_REQUEST');
  });

  it('refuses a query over the budget with the remaining ε and charges nothing; public-only still works', async () => {
    // Spend until the filter refuses (each ε ≈ 1 query composes sublinearly, so a few fit in the cap of 3).
    let refusal: Awaited<ReturnType<typeof rejectionOf>> | undefined;
    let charged = (await call('ledger.show', { datasetId: dataset.id })).entries.length;
    for (let i = 0; i < 12 && !refusal; i++) {
      try {
        await call('generate.run', { datasetId: dataset.id, prompt: 'a blue square', epsilon: 1, images: 1, steps: 1 });
        charged++;
      } catch (error) {
        refusal = error as typeof refusal;
      }
    }
    expect(refusal?.code).toBe('BUDGET_EXCEEDED');
    const ledger = await call('ledger.show', { datasetId: dataset.id });
    expect(ledger.entries).toHaveLength(charged);
    expect(refusal!.extra?.remainingEpsilon).toBeCloseTo(ledger.budget.remainingEpsilon, 12);
    expect(ledger.budget.remainingEpsilon).toBeGreaterThanOrEqual(0);
    expect(ledger.budget.remainingEpsilon).toBeLessThan(3 - ledger.entries[0]!.cumulativeEpsilon);
    expect(refusal!.extra?.suggestion).toMatch(/public-only/i); // what is left buys nothing: the budget is spent, public-only works
    expect((await call('generate.preview', { datasetId: dataset.id, epsilon: 1 })).admissible).toBe(false);

    // The refused query wrote no generation.
    const before = (await call('history.list', { datasetId: dataset.id })).length;
    const pub = await call('generate.run', { datasetId: dataset.id, prompt: 'a blue square', publicOnly: true, images: 2, steps: 2 });
    expect(pub).toMatchObject({ publicOnly: true, chargeSpent: false, receiptId: null });
    expect(pub.images).toHaveLength(2);
    expect((await call('history.list', { datasetId: dataset.id })).length).toBe(before + 1);
    const final = await call('ledger.show', { datasetId: dataset.id });
    expect(final.entries).toHaveLength(charged);
    expect(final.budget.spentEpsilon).toBe(ledger.budget.spentEpsilon);
    expect((await call('ledger.verify', { datasetId: dataset.id })).ok).toBe(true);
  });

  it('a removed dataset: a re-render stays free, also after a restart (it reads nothing private); a new query is refused before any charge', async () => {
    const spare = await call('datasets.add', { folder: privateFolder(30, 500), epsilonCap: 5 });
    const generated = await call('generate.run', { datasetId: spare.id, prompt: 'a black star', epsilon: 1, images: 1, steps: 1 });
    await call('datasets.remove', { datasetId: spare.id });
    expect(await call('generate.rerender', { generationId: generated.generationId, steps: 1 })).toMatchObject({ chargeSpent: false, receiptId: generated.receiptId });
    await service.close();
    service = await createStudioService({ home });
    expect(await call('generate.rerender', { generationId: generated.generationId, steps: 1 })).toMatchObject({ chargeSpent: false, receiptId: generated.receiptId });
    // A new private query on the removed dataset is refused before the charge as well.
    expect((await rejectionOf(call('generate.run', { datasetId: spare.id, prompt: 'a black star', epsilon: 1, images: 1, steps: 1 }))).code).toBe('NOT_FOUND');
    // The ledger outlives the index (re-adding the images resumes their spend): still the one charge.
    expect((await call('ledger.show', { datasetId: spare.id })).entries.map((e) => e.receiptId)).toEqual([generated.receiptId]);
  });

  it('rejects bad requests with INVALID_REQUEST or NOT_FOUND', async () => {
    expect((await rejectionOf(call('generate.run', { datasetId: 'ds_0123456789abcdef', prompt: 'a red circle', epsilon: 1, images: 1, steps: 1 }))).code).toBe('NOT_FOUND');
    expect((await rejectionOf(call('generate.preview', { datasetId: 'ds_0123456789abcdef', epsilon: 1 }))).code).toBe('NOT_FOUND');
    expect((await rejectionOf(call('generate.rerender', { generationId: 'gen_nope' }))).code).toBe('NOT_FOUND');
    // The ledger's member set moved on without the index (a crash between the two): refused before the charge.
    const stale = await call('datasets.add', { folder: privateFolder(30, 900), epsilonCap: 5 });
    const side = openLedger(join(home, LEDGER_FILE_NAME));
    try {
      side.replaceMembers(stale.id, side.members(stale.id).slice(1), 'test: members moved on');
    } finally {
      side.close();
    }
    const staleError = await rejectionOf(call('generate.run', { datasetId: stale.id, prompt: 'a black star', epsilon: 1, images: 1, steps: 1 }));
    expect(staleError).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(staleError.message).toMatch(/sync the dataset first \(nothing was charged\)/);
    expect((await call('ledger.show', { datasetId: stale.id })).entries).toEqual([]);
    // Every image deleted from the folder: the sync keeps the ledger's members, and a private query is refused.
    const emptied = privateFolder(20, 1200);
    const gone = await call('datasets.add', { folder: emptied, epsilonCap: 5 });
    for (const name of readdirSync(emptied)) rmSync(join(emptied, name), { recursive: true });
    await call('datasets.sync', { datasetId: gone.id });
    const emptyError = await rejectionOf(call('generate.run', { datasetId: gone.id, prompt: 'a black star', epsilon: 1, images: 1, steps: 1 }));
    expect(emptyError).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(emptyError.message).toMatch(/no images left in its folder.*nothing was charged/);
    expect((await call('ledger.show', { datasetId: gone.id })).entries).toEqual([]);
    const fresh = tempDir('dprdm-empty-');
    mkdirSync(join(fresh, 'x'));
    expect((await rejectionOf(call('datasets.add', { folder: fresh }))).code).toBe('INVALID_REQUEST');
  });
});
