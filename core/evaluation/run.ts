/**
 * `evaluate.run`: the curator's utility evaluation of one dataset (issue 8, after DP-RDM §5).
 *
 *  plan (σ per budget, audit cost) → refuse unless it fits → hold out a seeded split → for every seed and prompt:
 *  public-only, DP at every budget (the studio's own Generator, each query charged as an 'audit' ledger entry
 *  before it reads a row), and the σ = 0 non-private reference → embed, judge → FD / agreement / judge accuracy
 *  with bootstrap intervals → table, plot.
 *
 * Privacy: the DP queries retrieve only from the retrieval part of the split and are accounted like any query.
 * The held-out images and the σ = 0 reference are read WITHOUT differential privacy: the report is for the
 * curator's eyes only. Only aggregate numbers and a plot come out; no prompt, caption, file name, row id or
 * neighbour information, and the generated images are deleted with the working folder at the end.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { loadEvaluationStore } from '../datasets/index.ts';
import { samplingRateForSizeClass, type Ledger } from '../ledger/index.ts';
import { conditionVector, ModelHost, tensorToPng, type ExecutionProviderRequest, type Manifest, type ModelService, type PublicRetrievalSet } from '../models/index.ts';
import { nonPrivateReferenceAggregate } from '../privacy/index.ts';
import { GENERATION_DEFAULTS, StudioError, type EvaluateRequest, type EvaluationReport, type EvaluationRow, type StudioEvent } from '../contract/contract.ts';
import { Generator, generationsRoot, type GenerationSpec, type ModelSetIdentity } from '../generation/generator.ts';
import { HistoryStore } from '../generation/history.ts';
import { homeLayout } from '../paths.ts';
import { bootstrapFd, differenceInterval } from './bootstrap.ts';
import { judgePngs } from './judge.ts';
import { allRight, cosinePerRow, judgeAccuracy, mean, type ExpectedAttributes } from './metrics.ts';
import { planEvaluation, planFits } from './plan.ts';
import { plotPng } from './plot.ts';
import { evaluationSplit, selectRows } from './split.ts';
import { markdownTable } from './table.ts';

export const BOOTSTRAP_REPLICATES = 300;

export const EVALUATION_NOTICE =
  'For the curator’s eyes only. This evaluation compares generated images with held-out private images directly, and its non-private reference (σ = 0) retrieves without noise: neither is differentially private, so these numbers and the plot must not be published. Its DP queries are recorded in the ledger as non-released “audit” entries; the σ = 0 reference cannot be accounted and is never released. No prompt, caption, file name or neighbour information leaves the evaluation, and its generated images are deleted when it ends.';

export interface EvaluationDeps {
  readonly home: string;
  readonly ledger: Ledger;
  readonly modelDir: string;
  readonly manifest: Manifest;
  readonly modelSet: ModelSetIdentity;
  readonly studioVersion: string;
  readonly models: () => Promise<ModelService>;
  readonly publicSet: () => Promise<PublicRetrievalSet>;
  readonly provider?: ExecutionProviderRequest;
  readonly datasetName: string;
  /** The dataset's folder (to find the demo world's captions); never written anywhere. */
  readonly datasetFolder: string;
  readonly emit: (event: StudioEvent) => void;
}

export function evaluationsRoot(home: string): string {
  return homeLayout(home).evaluations;
}

interface Caption {
  readonly caption: string;
  readonly attributes?: ExpectedAttributes | undefined;
}

function normaliseCaptions(raw: Record<string, unknown>, judged: readonly string[]): Map<string, Caption> {
  const out = new Map<string, Caption>();
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value === 'string') out.set(name, { caption: value });
    else if (value && typeof value === 'object' && typeof (value as { caption?: unknown }).caption === 'string') {
      const v = value as { caption: string; attributes?: Record<string, unknown> };
      const a = v.attributes ?? {};
      const pick = (k: string) => (typeof a[k] === 'string' ? (a[k] as string) : undefined);
      const attributes: ExpectedAttributes = {};
      for (const k of judged) {
        const x = pick(k);
        if (x !== undefined) attributes[k] = x;
      }
      out.set(name, { caption: v.caption, ...(Object.keys(attributes).length ? { attributes } : {}) });
    }
  }
  return out;
}

function captionsFor(deps: EvaluationDeps, request: EvaluateRequest): Map<string, Caption> {
  const judged = Object.keys(deps.manifest.judge?.attributes ?? {});
  if (request.captions) return normaliseCaptions(request.captions, judged);
  const demoFolder = resolve(deps.modelDir, 'demo-private');
  const demoCaptions = join(deps.modelDir, 'eval', 'demo-private-captions.json');
  if (resolve(deps.datasetFolder) === demoFolder && existsSync(demoCaptions)) return normaliseCaptions(JSON.parse(readFileSync(demoCaptions, 'utf8')) as Record<string, unknown>, judged);
  throw new StudioError('INVALID_REQUEST', 'this dataset has no captions to prompt with: give captions (a JSON object from each image’s path in the folder to its caption)', { suggestion: 'dprdm evaluate --captions captions.json' });
}

function unit(values: Float32Array): Float64Array {
  const t = Float64Array.from(values);
  let n = 0;
  for (const v of t) n += v * v;
  n = Math.sqrt(n);
  if (!(n > 0)) throw new StudioError('INVALID_REQUEST', 'a caption has no words the model knows');
  for (let i = 0; i < t.length; i++) t[i]! /= n;
  return t;
}

export async function runEvaluation(deps: EvaluationDeps, request: EvaluateRequest, jobId: string, signal: AbortSignal): Promise<EvaluationReport> {
  const { ledger, manifest } = deps;
  const datasetId = request.datasetId;
  const info = ledger.getDataset(datasetId);
  if (info.locked) throw new StudioError('LEDGER_LOCKED', `the ledger of this dataset is locked (${info.lockedReason ?? 'integrity check failed'}); verify it on the Budget screen`);
  // The dataset's own plan unless the request names k or q (a k other than the dataset's gets its size class's q).
  const k = request.k ?? info.k;
  const q = request.q ?? (k === info.k ? info.q : samplingRateForSizeClass(info.sizeClass, k));
  const lambda = request.lambda ?? manifest.retrieval.lambda ?? GENERATION_DEFAULTS.lambda;
  const D = manifest.embedding.dim;
  const evaluationId = `eval_${new Date().toISOString().replace(/[-:.TZ]/g, '').slice(0, 14)}_${randomUUID().slice(0, 8)}`;

  // ── 1. the plan, from public numbers only (N, k, q, δ, T, budgets) ────────────────────────────────────────────
  const splitShape = evaluationSplit(info.memberCount, request.heldOutFraction, request.splitSeed);
  const plannedPrompts = Math.min(request.prompts, splitShape.heldOut.length);
  const budgets = [...new Set(request.budgets)].sort((a, b) => a - b);
  let plan;
  try {
    plan = planEvaluation({ budgets, plannedQueries: request.plannedQueries, q: q, k, delta: info.delta, queriesPerBudget: plannedPrompts * request.seeds, orders: info.orders });
  } catch (error) {
    throw new StudioError('INVALID_REQUEST', `no noise level fits that plan: ${(error as Error).message}`);
  }
  const fit = planFits(plan, info.filter, info.spentRdp, q, k, plannedPrompts * request.seeds);
  const warnings: string[] = [];
  if (splitShape.retrieval.length * q < 2 * k) warnings.push(`q·N = ${(splitShape.retrieval.length * q).toFixed(1)} retrieved-from images per query on average, fewer than 2·k = ${2 * k}: the retrieved condition is mostly zero padding.`);
  for (const s of plan.settings) if (s.sigma > manifest.retrieval.sigmaMax) warnings.push(`ε ${s.epsilonTotal}: σ = ${s.sigma.toPrecision(3)} is above the σ ≤ ${manifest.retrieval.sigmaMax} the decoder was trained with.`);
  const parameters = {
    plannedQueries: request.plannedQueries,
    budgets,
    q: q,
    k,
    lambda,
    delta: info.delta,
    steps: request.steps,
    guidance: request.guidance,
    seeds: request.seeds,
    prompts: plannedPrompts,
    heldOutImages: splitShape.heldOut.length,
    retrievalImages: splitShape.retrieval.length,
    splitSeed: request.splitSeed,
    modelSet: `${deps.modelSet.name} ${deps.modelSet.version}`,
  };
  const audit = { queries: plan.auditQueries, charged: 0, epsilon: fit.cost, cumulativeEpsilonBefore: info.cumulativeEpsilon, cumulativeEpsilonAfter: fit.cumulativeEpsilonAfter, epsilonCap: info.epsilonCap, delta: info.delta, fits: fit.fits };
  const base = { evaluationId, datasetId, datasetName: deps.datasetName, createdAt: new Date().toISOString(), notice: EVALUATION_NOTICE, parameters, warnings };
  if (request.dryRun) return { ...base, dryRun: true, audit, rows: [], verdict: null, plotPng: null, folder: null };
  if (!fit.fits) {
    throw new StudioError(
      'BUDGET_EXCEEDED',
      `this evaluation needs ${plan.auditQueries} audit queries costing ε ${fit.cost.toFixed(3)} in all; with ε ${info.cumulativeEpsilon.toFixed(3)} already used the dataset would reach ε ${Number.isFinite(fit.cumulativeEpsilonAfter) ? fit.cumulativeEpsilonAfter.toFixed(3) : '∞'} of its cap ${info.epsilonCap}. Nothing was charged or read.`,
      { remainingEpsilon: info.remainingEpsilon, suggestion: 'use fewer prompts or seeds, fewer budgets, or preview the cost with a dry run' },
    );
  }

  if (!request.confirmNonPrivate) {
    throw new StudioError(
      'INVALID_REQUEST',
      'an evaluation compares with held-out private images and a noiseless (σ = 0) reference, which are not differentially private: confirm that its report is for your eyes only. Nothing was charged or read.',
      { suggestion: 'dprdm evaluate --confirm-non-private (or tick the confirmation on the Evaluation screen)' },
    );
  }
  const captions = captionsFor(deps, request);

  // ── 2. the charges: every audit query is committed to the ledger before any private row is read ─────────────
  const S = request.seeds;
  const receipts = plan.settings.map((setting) =>
    Array.from({ length: S * plannedPrompts }, (_, i) =>
      ledger.charge(datasetId, {
        q: q,
        sigma: setting.sigma,
        k,
        lambda,
        kind: 'audit',
        purpose: `evaluation ${evaluationId}: ε ${setting.epsilonTotal} for ${request.plannedQueries} planned queries (seed ${Math.floor(i / plannedPrompts) + 1}/${S}, prompt ${(i % plannedPrompts) + 1}/${plannedPrompts})`,
      }),
    ),
  );
  const charged = receipts.reduce((n, r) => n + r.length, 0);

  // ── 3. private rows: the split, the prompts (held-out captions) ──────────────────────────────────────────────
  const store = loadEvaluationStore(datasetId, { home: deps.home, accountedFingerprint: ledger.getDataset(datasetId).fingerprint });
  const split = evaluationSplit(store.matrix.rows, request.heldOutFraction, request.splitSeed);
  const captionOf = (row: number): Caption | undefined => {
    for (const name of store.rowNames[row] ?? []) {
      const c = captions.get(name) ?? captions.get(basename(name));
      if (c) return c;
    }
    return undefined;
  };
  const promptRows = split.heldOut.filter((r) => captionOf(r) !== undefined).slice(0, plannedPrompts);
  if (promptRows.length < 2) throw new StudioError('INVALID_REQUEST', `only ${promptRows.length} held-out images have a caption; an evaluation needs at least 2`);
  const prompts = promptRows.map((r) => captionOf(r)!);
  const P = prompts.length;
  const retrieval = { data: selectRows(store.matrix.data, D, split.retrieval), rows: split.retrieval.length, dim: D };
  const reference = selectRows(store.matrix.data, D, split.heldOut);
  const judged = prompts.every((p) => p.attributes !== undefined) && manifest.judge !== undefined;

  const models = await deps.models();
  const text = await models.embedTexts(prompts.map((p) => p.caption), { signal });
  const texts = prompts.map((_, i) => unit(text.data.subarray(i * D, (i + 1) * D)));

  // ── 4. generate: the studio's Generator for public-only and DP (prepaid audit receipts), the reference beside it ─
  const workHome = join(evaluationsRoot(deps.home), evaluationId, 'work');
  mkdirSync(workHome, { recursive: true, mode: 0o700 });
  const history = new HistoryStore(homeLayout(workHome).history);
  const generator = new Generator({
    home: workHome,
    ledger,
    history,
    models: deps.models,
    publicSet: deps.publicSet,
    modelSet: deps.modelSet,
    studioVersion: deps.studioVersion,
    emit: () => undefined,
    // The evaluation's queries retrieve from the retrieval part only: a fixed subset of the accounted rows.
    privateStore: () => ({ rows: retrieval, fingerprint: store.fingerprint, modelSet: store.modelSet }),
  });
  const labels: string[] = ['public-only', ...plan.settings.map((s) => `DP ε=${s.epsilonTotal}`), 'non-private σ=0'];
  const pngs: Buffer[][][] = labels.map(() => Array.from({ length: S }, () => new Array<Buffer>(P)));
  const total = labels.length * S * P;
  let done = 0;
  const size = manifest.decoder.imageSize;
  const progress = () => deps.emit({ type: 'progress', jobId, task: 'evaluate', phase: 'generating', done, total });
  let judgeHost: ModelHost | undefined;
  try {
    progress();
    for (let s = 0; s < S; s++) {
      for (let p = 0; p < P; p++) {
        const imageSeed = 1_000_003 * (s + 1) + p;
        const render = { images: 1, guidance: request.guidance, steps: request.steps, sampler: request.sampler, seeds: [imageSeed] };
        const viaGenerator = async (spec: GenerationSpec): Promise<Buffer> => {
          const out = await generator.generate(spec, jobId, signal);
          if (out.cancelled || out.images.length !== 1) throw new StudioError('CANCELLED', `evaluation cancelled; its ${charged} audit queries were charged before it started`);
          return readFileSync(join(generationsRoot(workHome), out.generation.generationId, out.images[0]!.file));
        };
        const caption = prompts[p]!.caption;
        pngs[0]![s]![p] = await viaGenerator({ prompt: caption, lambda, render, source: { kind: 'public', datasetId: null, k } });
        done++;
        for (const [b, setting] of plan.settings.entries()) {
          const prepaid = receipts[b]![s * plannedPrompts + p]!;
          pngs[1 + b]![s]![p] = await viaGenerator({ prompt: caption, lambda, render, source: { kind: 'private', datasetId, k, q: q, sigma: setting.sigma }, charge: { prepaid } });
          done++;
        }
        // NOT PRIVATE: the σ = 0 limit of the same retrieval (same k and q, no noise), rendered exactly like the others
        // but never stored, charged or released. (Exact top-k over every row, RDM's own retrieval, was measured
        // worse than DP here: the decoder is trained on subsampled folder pools; docs/evaluation/README.md.)
        const cond = conditionVector(manifest.decoder, nonPrivateReferenceAggregate(texts[p]!, retrieval, { k, q: q }), texts[p]!, lambda);
        const img = await models.generate({ cond, count: 1, seeds: [imageSeed], steps: request.steps, guidance: request.guidance }, { signal });
        pngs[labels.length - 1]![s]![p] = await tensorToPng(img.images, size, manifest.decoder.outputRange);
        done++;
        progress();
        if (signal.aborted) throw new StudioError('CANCELLED', `evaluation cancelled; its ${charged} audit queries were charged before it started`);
      }
    }

    // ── 5. measure ──────────────────────────────────────────────────────────────────────────────────────────
    deps.emit({ type: 'progress', jobId, task: 'evaluate', phase: 'measuring', done, total });
    const embeddings: Float32Array[][] = [];
    for (const perSeed of pngs) {
      const rows: Float32Array[] = [];
      for (const set of perSeed) {
        const e = await models.embedImageFiles(set, { signal });
        if (e.ok.length !== set.length) throw new StudioError('INTERNAL', 'a generated image could not be embedded');
        rows.push(e.data.slice(0, P * D));
      }
      embeddings.push(rows);
    }
    let judgeOf: ((set: Buffer[]) => Promise<Float64Array>) | undefined;
    if (judged) {
      // A host of its own with the judge loaded (the studio's host does not open it).
      const judgeModel: ModelService = (judgeHost = await ModelHost.start(deps.modelDir, { judge: true, ...(deps.provider ? { provider: deps.provider } : {}) }));
      judgeOf = (set) => judgePngs(judgeModel, manifest, set, prompts.map((x) => x.attributes!), signal);
    }
    const textMatrix = new Float32Array(P * D);
    texts.forEach((t, i) => textMatrix.set(Float32Array.from(t), i * D));
    const boot = bootstrapFd(embeddings, P, reference, split.heldOut.length, D, BOOTSTRAP_REPLICATES, request.splitSeed);
    const rows: EvaluationRow[] = [];
    for (const [i, label] of labels.entries()) {
      const setting = i === 0 ? 'public-only' : i === labels.length - 1 ? 'non-private' : 'dp';
      const budget = setting === 'dp' ? plan.settings[i - 1]! : undefined;
      const agreement = mean(embeddings[i]!.map((m) => mean(cosinePerRow(m, textMatrix, P, D))));
      let judgeAcc: ReturnType<typeof judgeAccuracy> | undefined;
      let folderInfluence: number | null = null;
      let fidelity: number | null = null;
      if (judgeOf) {
        const hits = (await Promise.all(pngs[i]!.map((set) => judgeOf!(set)))).flatMap((h) => Array.from(h));
        const attributes = Object.keys(manifest.judge!.attributes);
        judgeAcc = judgeAccuracy(hits, attributes);
        const look = manifest.judge!.lookAttributes;
        if (look?.length) {
          // The held-out image's own look is the folder's: folder influence is every look attribute right at once.
          folderInfluence = allRight(hits, attributes, look);
          fidelity = allRight(hits, attributes, attributes.filter((a) => !look.includes(a)));
        }
      }
      rows.push({
        setting,
        label,
        epsilonTotal: budget?.epsilonTotal ?? null,
        sigma: budget ? budget.sigma : setting === 'non-private' ? 0 : null,
        epsilonPerQuery: budget?.epsilonPerQuery ?? null,
        differentiallyPrivate: setting === 'dp',
        fd: boot.point[i]!,
        fdInterval: boot.interval[i]!,
        fdPerSeed: boot.perSeed[i]!,
        agreement,
        judgeAccuracy: judgeAcc?.overall ?? null,
        judgePerAttribute: judgeAcc?.perAttribute ?? null,
        folderInfluence,
        fidelity,
      });
    }

    // ── 6. verdict, files ───────────────────────────────────────────────────────────────────────────────────
    const last = plan.settings.length; // row index of the largest budget
    const margin = rows[0]!.fd - rows[last]!.fd;
    const marginInterval = differenceInterval(boot, 0, last);
    const dpRows = rows.filter((r) => r.setting === 'dp');
    const monotone = dpRows.every((r, i) => i === 0 || r.fd < dpRows[i - 1]!.fd);
    const beatsPublic = marginInterval.low > 0;
    const ref = rows[rows.length - 1]!;
    const nonPrivateBeyondDp = ref.fd < rows[last]!.fd;
    // Paired (same prompts and seeds resampled together) intervals of each step: does it exceed the FD's resolution?
    const steps = rows.slice(1, -1).map((r, j) => ({ from: r.label, to: rows[j + 2]!.label, fd: r.fd - rows[j + 2]!.fd, interval: differenceInterval(boot, j + 1, j + 2) }));
    const holds = beatsPublic && monotone && nonPrivateBeyondDp;
    const largest = budgets[budgets.length - 1]!;
    const summary =
      `At ε = ${largest} for ${request.plannedQueries} queries, DP retrieval ${beatsPublic ? 'beats' : 'does not beat'} public-only retrieval in FD: margin ${margin.toFixed(4)} ` +
      `(95% bootstrap interval [${marginInterval.low.toFixed(4)}, ${marginInterval.high.toFixed(4)}] over ${S} seeds × ${P} prompts; positive = DP better). ` +
      `FD ${monotone ? 'falls' : 'does not fall'} monotonically from ε = ${budgets[0]} to ε = ${largest} (${dpRows.map((r) => r.fd.toFixed(4)).join(' → ')}); ` +
      `non-private σ = 0 line ${ref.fd.toFixed(4)} (${nonPrivateBeyondDp ? 'below' : 'not below'} DP at ε = ${largest}), public-only ${rows[0]!.fd.toFixed(4)}. ` +
      `Paired steps (FD before minus after, 95% interval): ${steps.map((st) => `${st.from} → ${st.to} ${st.fd.toFixed(4)} [${st.interval.low.toFixed(4)}, ${st.interval.high.toFixed(4)}]`).join('; ')}. ` +
      `The miniature reproduction ${holds ? 'HOLDS' : 'does NOT hold'}.`;
    const cumulativeAfter = ledger.getDataset(datasetId).cumulativeEpsilon;
    const plot = await plotPng(rows, `${deps.datasetName}: FD vs ε (T = ${request.plannedQueries}, q = ${q}, λ = ${lambda})`);
    const folder = join(evaluationsRoot(deps.home), evaluationId);
    const report: EvaluationReport = {
      ...base,
      dryRun: false,
      audit: { ...audit, charged, cumulativeEpsilonAfter: cumulativeAfter },
      rows,
      verdict: { largestBudget: largest, fdMargin: margin, fdMarginInterval: marginInterval, beatsPublic, monotone, steps, nonPrivateBeyondDp, holds, summary },
      plotPng: `data:image/png;base64,${plot.toString('base64')}`,
      folder,
    };
    writeFileSync(join(folder, 'evaluation.json'), `${JSON.stringify({ ...report, plotPng: 'plot.png' }, null, 2)}\n`);
    writeFileSync(join(folder, 'evaluation.md'), markdownTable(report));
    writeFileSync(join(folder, 'plot.png'), plot);
    return report;
  } finally {
    history.close();
    rmSync(workHome, { recursive: true, force: true });
    await judgeHost?.close();
  }
}
