/**
 * The generation room: prompt check, preview, generate, cancel, re-render, history. Every generation runs through
 * the one pipeline (core/generation/generator.ts); a private one passes the catalog's guard before its charge.
 */
import { randomUUID } from 'node:crypto';
import { folderInfluence } from '../../ledger/index.ts';
import { DPM_MAX_STEPS, GENERATION_DEFAULTS, StudioError, type GenerationRecord, type GenerateRequest, type GenerationResult, type StudioHandlers } from '../../contract/contract.ts';
import { toGeneratedImage, type GenerationOutcome, type GenerationSpec } from '../../generation/generator.ts';
import type { StoredGeneration } from '../../generation/history.ts';
import { resolveQuery } from '../../generation/parameters.ts';
import type { StudioContext } from '../context.ts';
import { runJob } from '../jobs.ts';

type GenerationChannels = 'prompt.check' | 'generate.preview' | 'generate.run' | 'generate.cancel' | 'generate.rerender' | 'history.list';

export function generationHandlers(ctx: StudioContext): Pick<StudioHandlers, GenerationChannels> {
  const { ledger, history, generator, catalog, range, manifest } = ctx;

  const record = (g: StoredGeneration): GenerationRecord => ({
    generationId: g.generationId,
    datasetId: g.datasetId,
    prompt: g.prompt,
    createdAt: g.createdAt,
    publicOnly: g.publicOnly,
    receiptId: g.privacy?.receiptId ?? null,
    parameters: { sigma: g.sigma, k: g.k, q: g.q, lambda: g.lambda, epsilonCost: g.epsilonCharged, influence: g.sigma === null ? null : folderInfluence(g.sigma, range) },
    images: history.images(g.generationId).map(toGeneratedImage),
    conditionHeld: generator.holds(g.generationId),
    cancelled: g.cancelled,
  });

  const result = (o: GenerationOutcome): GenerationResult => {
    // A new query reports the ledger as its own charge left it (a later generation of the same dataset may already
    // have been charged by now); a free re-render reports the ledger as it stands.
    const info = o.receipt ?? (o.generation.datasetId && !o.generation.publicOnly ? ledger.getDataset(o.generation.datasetId) : undefined);
    return {
      ...record(o.generation),
      images: o.images.map(toGeneratedImage),
      cumulativeEpsilon: info?.cumulativeEpsilon ?? null,
      remainingEpsilon: info?.remainingEpsilon ?? null,
      cancelled: o.cancelled,
      chargeSpent: o.receipt !== undefined,
    };
  };

  const specFor = (r: GenerateRequest): GenerationSpec => {
    const lambda = r.lambda ?? ctx.defaultLambda;
    const render = { images: r.images, guidance: r.guidance, steps: r.steps, sampler: r.sampler, seeds: r.seeds };
    if (r.publicOnly || r.datasetId === null) {
      // Public-only generations are filed under their dataset when there is one (history), else under none.
      const known = r.datasetId !== null && catalog.find(r.datasetId) !== undefined;
      return { prompt: r.prompt, lambda, render, source: { kind: 'public', datasetId: known ? r.datasetId : null, k: r.k ?? manifest.retrieval.k } };
    }
    const query = resolveQuery(r, catalog.requireAccounted(r.datasetId), range);
    return { prompt: r.prompt, lambda, render, source: { kind: 'private', datasetId: r.datasetId, k: query.k, q: query.q, sigma: query.sigma } };
  };

  const generationJob = (key: string, jobId: string | undefined, hctx: Parameters<StudioHandlers['generate.run']>[1], body: (jobId: string, signal: AbortSignal) => Promise<GenerationOutcome>) =>
    runJob(ctx, hctx, { key, jobId, scope: 'generation' }, async (id, signal) => result(await body(id, signal)), (r) => r.cancelled);

  return {
    'prompt.check': async (r) => {
      const m = await ctx.models();
      const text = r.prompt.trim() === '' ? undefined : await m.embedTexts([r.prompt]);
      const tokens = text?.tokens[0];
      const kept = tokens ? tokens.words.slice(0, tokens.words.length - tokens.truncatedWords.length) : [];
      return { tokens: kept.length, knownTokens: kept.filter((w) => !(tokens?.unknownWords ?? []).includes(w)).length, unknownWords: tokens?.unknownWords ?? [] };
    },
    'generate.preview': async (r) => {
      const query = resolveQuery(r, ledger.getDataset(r.datasetId), range);
      const p = ledger.preview(r.datasetId, { q: query.q, sigma: query.sigma, k: query.k });
      return {
        sigma: query.sigma,
        noiseMultiplier: (query.sigma * query.k) / 2,
        signalToNoise: query.signalToNoise,
        influence: query.influence,
        k: query.k,
        q: query.q,
        delta: p.delta,
        epsilonCost: p.epsilonCost,
        standaloneEpsilon: p.standaloneEpsilon,
        order: p.order,
        cumulativeEpsilonAfter: p.cumulativeEpsilonAfter,
        remainingEpsilonAfter: p.remainingEpsilonAfter,
        generationsThatFit: p.identicalQueriesThatFit,
        admissible: p.admissible,
        warnings: [...query.warnings, ...(p.locked ? ['This dataset’s ledger is locked; verify it on the Budget screen.'] : [])],
      };
    },
    'generate.run': (r, hctx) =>
      generationJob(r.publicOnly ? `public:${r.jobId ?? randomUUID()}` : r.datasetId, r.jobId, hctx, (jobId, signal) => generator.generate(specFor(r), jobId, signal)),
    'generate.cancel': async (r) => ({ cancelled: ctx.jobs.cancel(r.jobId) }),
    'generate.rerender': async (r, hctx) => {
      const base = history.generation(r.generationId);
      if (!base) throw new StudioError('NOT_FOUND', `no generation ${r.generationId}`);
      const previous = history.images(r.generationId);
      const render = {
        images: r.seeds?.length ?? Math.max(1, previous.length),
        guidance: r.guidance ?? previous[0]?.guidance ?? 3,
        steps: r.steps ?? previous[0]?.steps ?? manifest.decoder.sampler.defaultSteps,
        sampler: r.sampler ?? previous[0]?.sampler ?? GENERATION_DEFAULTS.sampler,
        seeds: r.seeds,
      };
      if (render.sampler === 'dpmpp-2m' && render.steps > DPM_MAX_STEPS) throw new StudioError('INVALID_REQUEST', `DPM-Solver++ takes at most ${DPM_MAX_STEPS} steps; ask for fewer`);
      const key = base.publicOnly || base.datasetId === null ? `public:${base.generationId}` : base.datasetId;
      return generationJob(key, r.jobId, hctx, (jobId, signal) => {
        if (generator.holds(base.generationId)) return generator.rerender(base.generationId, render, jobId, signal);
        // The condition is gone (a restart): a public one is recomputed for free; a private one is a new query.
        const source =
          base.publicOnly || base.sigma === null || base.q === null || base.datasetId === null
            ? { kind: 'public' as const, datasetId: base.datasetId, k: base.k }
            : { kind: 'private' as const, datasetId: base.datasetId, k: base.k, q: base.q, sigma: base.sigma };
        if (source.kind === 'private') catalog.requireAccounted(source.datasetId);
        return generator.generate({ prompt: base.prompt, lambda: base.lambda, render, source }, jobId, signal);
      });
    },
    'history.list': async (r) => history.generations(r.datasetId).map(record),
  };
}
