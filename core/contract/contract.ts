/**
 * The studio's one typed contract, shared by the service, the local HTTP host, the Electron preload/IPC shell
 * and the renderer (as in Electron Fiddle's channel map). Each channel has a zod schema for its request (every
 * transport validates with it) and a response type. `StudioHandlers` maps every channel to a handler, so a
 * transport that forgets one fails to compile.
 *
 * Nothing here may carry data derived from private images other than generated pixels: no file names of the
 * private folder in generation results, no neighbour ids, no subsample sizes, no pre-noise vectors, no timings of
 * private steps. (Dataset screens show the curator their own folder's quarantine list; that never flows into
 * generation, history, export or logs.)
 */
import { z } from 'zod';
import type { FolderInfluence } from './folder-influence.ts';
export { SPENT_SHARE } from './spent-share.ts';

/** The order every face lists datasets in: oldest first, then by id (ids are random, so ties never depend on content). */
export function compareDatasets(a: { readonly createdAt: string; readonly id: string }, b: { readonly createdAt: string; readonly id: string }): number {
  return a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id);
}

// ---- shared request pieces -------------------------------------------------------------------------------

const id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1–64 letters, digits, "-" or "_"');
const jobId = id.optional();
const finitePositive = z.number().finite().positive();
const prompt = z.string().trim().min(1, 'type a prompt').max(500, 'a prompt is at most 500 characters');
const seed = z.number().int().min(0).max(2 ** 32 - 1);
const folderPath = z.string().min(1).max(4096);

/**
 * Defaults of one generation, shared by the service, the CLI and the window. λ is the model set's own
 * (manifest retrieval.lambda) where it states one; this λ = 1 is for a set that does not: with a text slot of its
 * own, the retrieval slot can hold the noisy aggregate alone.
 */
/**
 * The sampler default: DPM-Solver++(2M) at 12 steps, 46 % of DDIM 25's time per image on this project's 2-core CPU,
 * with the judge's fidelity within 2 points of DDIM 25 and the Demo's house look as often (docs/evaluation/README.md).
 */
export const GENERATION_DEFAULTS = { lambda: 1, images: 4, guidance: 3, steps: 12, sampler: 'dpmpp-2m' } as const;

/** The samplers: DDIM (the trainer's reference) and DPM-Solver++(2M), a second-order solver of the same ODE (at most 100 steps). */
export const SAMPLERS = ['ddim', 'dpmpp-2m'] as const;
export type Sampler = (typeof SAMPLERS)[number];
export const DPM_MAX_STEPS = 100;

export const generateRequest = z
  .strictObject({
    datasetId: id,
    prompt,
    /** What this generation may cost (the decrease of the remaining ε); default: the dataset's planned spend. */
    epsilon: finitePositive.max(100).optional(),
    /** Or σ directly (advanced). */
    sigma: finitePositive.max(100).optional(),
    k: z.number().int().min(1).max(1000).optional(),
    q: z.number().finite().positive().max(1).optional(),
    /** Weight of the private aggregate in the condition: c = λ·r̃ + (1−λ)·t (default: the model set's, else GENERATION_DEFAULTS). */
    lambda: z.number().finite().min(0).max(1).optional(),
    images: z.number().int().min(1).max(16).default(GENERATION_DEFAULTS.images),
    guidance: z.number().finite().min(0).max(20).default(GENERATION_DEFAULTS.guidance),
    steps: z.number().int().min(1).max(200).default(GENERATION_DEFAULTS.steps),
    sampler: z.enum(SAMPLERS).default(GENERATION_DEFAULTS.sampler),
    seeds: z.array(seed).max(16).optional(),
    publicOnly: z.boolean().default(false),
    jobId,
  })
  .refine((r) => !(r.epsilon !== undefined && r.sigma !== undefined), { message: 'give epsilon or sigma, not both' })
  .refine((r) => r.seeds === undefined || r.seeds.length === r.images, { message: 'seeds must list one seed per image' })
  .refine((r) => r.sampler !== 'dpmpp-2m' || r.steps <= DPM_MAX_STEPS, { message: `DPM-Solver++ takes at most ${DPM_MAX_STEPS} steps` });

export const previewRequest = z
  .strictObject({
    datasetId: id,
    epsilon: finitePositive.max(100).optional(),
    sigma: finitePositive.max(100).optional(),
    k: z.number().int().min(1).max(1000).optional(),
    q: z.number().finite().positive().max(1).optional(),
  })
  .refine((r) => !(r.epsilon !== undefined && r.sigma !== undefined), { message: 'give epsilon or sigma, not both' });

/** What a caption states about its image, by the model set's judge attributes (e.g. shape, color). */
const judgedAttributes = z.record(z.string().regex(/^[a-z][a-zA-Z0-9_]*$/).max(40), z.string().max(40));

/** The evaluation's defaults (chosen on the demo world; see docs/evaluation/README.md). */
/** An evaluation renders like a generation: the same guidance and steps, and (unless asked) the model set's λ. */
export const EVALUATION_DEFAULTS = { budgets: [1, 3, 10], plannedQueries: 10_000, prompts: 100, seeds: 3, steps: GENERATION_DEFAULTS.steps, guidance: GENERATION_DEFAULTS.guidance, heldOutFraction: 0.2, splitSeed: 1 } as const;

export const evaluateRequest = z.strictObject({
  datasetId: id,
  /** Total ε budgets, each for `plannedQueries` queries (σ calibrated per budget). */
  budgets: z.array(finitePositive.max(100)).min(1).max(6).default([...EVALUATION_DEFAULTS.budgets]),
  plannedQueries: z.number().int().min(1).max(10_000_000).default(EVALUATION_DEFAULTS.plannedQueries),
  /** Sampling rate of every evaluation query (the same for all settings; default: the dataset's q). */
  q: z.number().finite().positive().max(1).optional(),
  /** Default: the model set's λ (manifest retrieval.lambda), as for a generation. */
  lambda: z.number().finite().min(0).max(1).optional(),
  /** Neighbours per query (default: the dataset's k); σ = 2z/k, so a larger k needs less noise for the same ε. */
  k: z.number().int().min(1).max(256).optional(),
  /** Prompts (held-out captions) per seed; each is one audit query per budget. */
  prompts: z.number().int().min(2).max(2000).default(EVALUATION_DEFAULTS.prompts),
  seeds: z.number().int().min(1).max(10).default(EVALUATION_DEFAULTS.seeds),
  steps: z.number().int().min(1).max(200).default(EVALUATION_DEFAULTS.steps),
  sampler: z.enum(SAMPLERS).default(GENERATION_DEFAULTS.sampler),
  guidance: z.number().finite().min(0).max(20).default(EVALUATION_DEFAULTS.guidance),
  heldOutFraction: z.number().finite().min(0.01).max(0.5).default(EVALUATION_DEFAULTS.heldOutFraction),
  splitSeed: seed.default(EVALUATION_DEFAULTS.splitSeed),
  /** Captions keyed by the image's path inside the dataset folder (default for the demo world: its own captions). */
  captions: z.record(z.string().min(1).max(1024), z.union([z.string().trim().min(1).max(500), z.strictObject({ caption: z.string().trim().min(1).max(500), attributes: judgedAttributes.optional() })])).optional(),
  /** Only plan: say what it would cost and whether it fits; charge and read nothing. */
  dryRun: z.boolean().default(false),
  /** The curator confirms that the report (FD to held-out private images, the σ = 0 reference) is not DP and for their eyes only. */
  confirmNonPrivate: z.boolean().default(false),
  jobId,
});

export const studioChannels = {
  'studio.info': z.strictObject({}),
  'datasets.list': z.strictObject({}),
  'datasets.add': z.strictObject({
    folder: folderPath,
    name: z.string().trim().min(1).max(120).optional(),
    epsilonCap: finitePositive.max(100).optional(),
    /** The size class the curator declares (public; fixes δ and q); default: the class of the indexed size. */
    sizeClass: z.strictObject({ lower: z.number().int().min(1), upper: z.number().int().min(2) }).optional(),
    /** How many generations the cap is planned for (fixes the Rényi order). */
    plannedGenerations: z.number().int().min(1).max(1_000_000).optional(),
    jobId,
  }),
  /**
   * Embeddings computed elsewhere (a cluster job with the model set's image encoder): a Parquet file of (id, embedding)
   * rows, or an `.npy` matrix with `ids`, a text file of one id per row. The id is the image's sha256 (or any unique
   * name); every row must be finite and unit-norm with the model set's dimension.
   */
  'datasets.import': z.strictObject({
    file: folderPath,
    ids: folderPath.optional(),
    name: z.string().trim().min(1).max(120).optional(),
    epsilonCap: finitePositive.max(100).optional(),
    sizeClass: z.strictObject({ lower: z.number().int().min(1), upper: z.number().int().min(2) }).optional(),
    plannedGenerations: z.number().int().min(1).max(1_000_000).optional(),
    jobId,
  }),
  'datasets.show': z.strictObject({ datasetId: id }),
  'datasets.sync': z.strictObject({ datasetId: id, jobId }),
  'datasets.remove': z.strictObject({ datasetId: id }),
  'prompt.check': z.strictObject({ prompt: z.string().max(500) }),
  'generate.preview': previewRequest,
  'generate.run': generateRequest,
  'generate.cancel': z.strictObject({ jobId: id }),
  'generate.rerender': z.strictObject({
    generationId: id,
    seeds: z.array(seed).min(1).max(16).optional(),
    guidance: z.number().finite().min(0).max(20).optional(),
    steps: z.number().int().min(1).max(200).optional(),
    sampler: z.enum(SAMPLERS).optional(),
    jobId,
  }),
  'history.list': z.strictObject({ datasetId: id.optional() }),
  'export.images': z.strictObject({ imageIds: z.array(id).min(1).max(1000), folder: folderPath.optional() }),
  'ledger.show': z.strictObject({ datasetId: id }),
  /** `heads`: ledger heads an export recorded (its manifest's `ledgerHeads`), each checked to be still held. */
  'ledger.verify': z.strictObject({ datasetId: id, heads: z.array(z.strictObject({ seq: z.number().int().min(0), hash: z.string().min(1).max(128) })).max(1000).optional() }),
  /**
   * The curator's explicit act after restoring or inspecting a locked ledger: `confirm` must be true; the note is
   * recorded. Refused while verification still fails unless `force` (recorded as a forced unlock). Never resets spend.
   */
  'ledger.unlock': z.strictObject({ datasetId: id, note: z.string().trim().min(1).max(1000), confirm: z.literal(true), force: z.boolean().default(false) }),
  'ledger.export': z.strictObject({ datasetId: id, format: z.enum(['json', 'csv']) }),
  'evaluate.run': evaluateRequest,
  'settings.get': z.strictObject({}),
  'settings.set': z.strictObject({ executionProvider: z.enum(['auto', 'cpu', 'cuda', 'dml', 'coreml']).optional() }),
} as const;

export type StudioChannel = keyof typeof studioChannels;
export type StudioRequest<C extends StudioChannel> = z.input<(typeof studioChannels)[C]>;
export type StudioParsedRequest<C extends StudioChannel> = z.output<(typeof studioChannels)[C]>;
export type GenerateRequest = z.output<typeof generateRequest>;
export type PreviewRequest = z.output<typeof previewRequest>;
export type EvaluateRequest = z.output<typeof evaluateRequest>;

// ---- responses ---------------------------------------------------------------------------------------------

export interface BudgetSummary {
  readonly epsilonCap: number;
  readonly delta: number;
  readonly spentEpsilon: number;
  readonly remainingEpsilon: number;
  readonly queries: number;
  readonly locked: boolean;
  readonly lockedReason?: string;
}

export interface DatasetSummary {
  readonly id: string;
  readonly name: string;
  readonly imageCount: number;
  readonly quarantinedCount: number;
  readonly duplicateCount: number;
  readonly modelSet: string;
  readonly createdAt: string;
  /** The dataset's plan, fixed at creation from public numbers: k, q, δ, the Rényi order, the declared size class. */
  readonly defaults: {
    readonly k: number;
    readonly q: number;
    readonly delta: number;
    readonly order: number;
    readonly sizeClass: { readonly lower: number; readonly upper: number };
    readonly plannedGenerations: number;
    /** The planned spend per generation (cap / planned generations). */
    readonly epsilon: number;
    /** The model set's default weight λ of the retrieved condition. */
    readonly lambda: number;
    /** How strongly the folder's look shows in a generation at the planned spend (the planner's words). */
    readonly influence: FolderInfluence;
  };
  readonly budget: BudgetSummary;
  /**
   * What one generation may usefully spend now (ε, the decrease of the remaining budget): from the least at which
   * the folder still shows to what is left; null once nothing more fits. The planner's usefulSpendRange.
   */
  readonly spendRange: { readonly min: number; readonly max: number } | null;
  /** Whether the index holds exactly the images the ledger accounts for (a private query needs it; sync restores it). */
  readonly indexMatchesLedger: boolean;
}

/** What one indexing run (add or sync) did, for the curator: counts of their own files, and how long it took. */
export interface IndexRun {
  /** False when the ledger already knew exactly these images: their past spend continues. */
  readonly created: boolean;
  readonly counts: { readonly seen: number; readonly unchanged: number; readonly read: number; readonly embedded: number; readonly reused: number; readonly quarantined: number; readonly removed: number };
  readonly seconds: number;
  readonly warnings: readonly string[];
}

export interface IndexedSummary extends DatasetSummary {
  readonly run: IndexRun;
}

export interface DatasetDetail extends DatasetSummary {
  /** The curator's own folder (shown to the curator only; never written into generations or exports). */
  readonly folder: string;
  /** `retried`: the reason was transient (a locked or vanishing file) and the next sync tries the file again. */
  readonly quarantined: readonly { readonly path: string; readonly reason: string; readonly retried: boolean }[];
  readonly duplicates: readonly { readonly path: string; readonly duplicateOf: string }[];
  /**
   * For the curator's eyes only: the median cosine of the folder's images to the nearest public image of the model
   * set, and whether that is below the model set's threshold (the folder is unlike what it knows). Null until indexed.
   */
  readonly familiarity: { readonly median: number; readonly warnBelow: number; readonly unfamiliar: boolean } | null;
}

export interface PromptCheck {
  readonly tokens: number;
  /** Of those, the words the model set knows. */
  readonly knownTokens: number;
  readonly unknownWords: readonly string[];
}

export interface GenerationPreview {
  readonly sigma: number;
  readonly noiseMultiplier: number;
  /** Upper bound on the condition's signal-to-noise: the (≤ 1) aggregate's norm over the noise norm σ√d. */
  readonly signalToNoise: number;
  /** How strongly the folder's look shows at this σ (the planner's words; thresholds measured for the model set). */
  readonly influence: FolderInfluence;
  readonly k: number;
  readonly q: number;
  readonly delta: number;
  /** What this generation costs: the decrease of the remaining ε. */
  readonly epsilonCost: number;
  /** Technical detail: this query alone as an (ε, δ) guarantee. */
  readonly standaloneEpsilon: number;
  /** The dataset's fixed Rényi order. */
  readonly order: number;
  readonly cumulativeEpsilonAfter: number;
  readonly remainingEpsilonAfter: number;
  readonly generationsThatFit: number;
  readonly admissible: boolean;
  readonly warnings: readonly string[];
}

export interface GeneratedImage {
  readonly imageId: string;
  readonly index: number;
  readonly seed: number;
  readonly guidance: number;
  readonly steps: number;
  readonly sampler: Sampler;
  /** Path on the studio host: GET it with the session's token (HTTP) or the studio protocol (Electron). */
  readonly url: string;
}

export interface GenerationRecord {
  readonly generationId: string;
  readonly datasetId: string | null;
  readonly prompt: string;
  readonly createdAt: string;
  readonly publicOnly: boolean;
  readonly receiptId: string | null;
  readonly parameters: {
    readonly sigma: number | null;
    readonly k: number;
    readonly q: number | null;
    readonly lambda: number;
    readonly epsilonCost: number;
    /** How strongly the private folder's look shows at this σ (null for public-only). */
    readonly influence: FolderInfluence | null;
  };
  readonly images: readonly GeneratedImage[];
  /** True while this process still holds the noisy condition, so re-renders are free. */
  readonly conditionHeld: boolean;
  /** Stopped by the user before every image was drawn (a private one still spent its charge). */
  readonly cancelled: boolean;
}

export interface GenerationResult extends GenerationRecord {
  readonly cumulativeEpsilon: number | null;
  readonly remainingEpsilon: number | null;
  readonly cancelled: boolean;
  /** A cancelled private generation still spent its charge; the UI must say so. */
  readonly chargeSpent: boolean;
}

export interface ExportResult {
  readonly folder: string;
  readonly files: readonly string[];
}

export interface LedgerEntry {
  readonly receiptId: string;
  readonly time: string;
  readonly kind: 'release' | 'audit';
  readonly purpose: string;
  readonly q: number;
  readonly sigma: number;
  readonly k: number;
  readonly lambda: number;
  readonly epsilonCost: number;
  readonly cumulativeEpsilon: number;
}

export interface LedgerView {
  readonly datasetId: string;
  readonly budget: BudgetSummary;
  readonly entries: readonly LedgerEntry[];
}

export interface VerifyResult {
  readonly ok: boolean;
  readonly checkedRows: number;
  /** The first problem found, in words (absent when ok). */
  readonly problem?: string;
  /** Every problem: the charge's sequence number, or null for the header, file or head record. */
  readonly problems: readonly { readonly seq: number | null; readonly problem: string }[];
  /** ε used, recomputed from the charges. */
  readonly spentEpsilon: number;
  /** Whether the dataset is locked now (a failed verification locks it). */
  readonly locked: boolean;
  /** The requested export heads, each with whether the ledger still holds it. */
  readonly heads?: readonly { readonly seq: number; readonly hash: string; readonly held: boolean }[];
}

export interface UnlockResult {
  readonly budget: BudgetSummary;
  /** True when verification still failed and the unlock was forced. */
  readonly forced: boolean;
}

export interface LedgerExport {
  readonly format: 'json' | 'csv';
  readonly fileName: string;
  readonly content: string;
  readonly statement: string;
}

export interface StudioInfo {
  readonly version: string;
  readonly modelSet: { readonly name: string; readonly version: string; readonly embeddingDim: number; readonly k: number; readonly examplePrompts: readonly string[] };
  readonly dataDirectory: string;
  readonly executionProviders: readonly { readonly name: string; readonly available: boolean; readonly note?: string }[];
}

export interface StudioSettings {
  readonly executionProvider: 'auto' | 'cpu' | 'cuda' | 'dml' | 'coreml';
  readonly dataDirectory: string;
}

export interface Interval {
  readonly low: number;
  readonly high: number;
}

/** One line of the evaluation table. Only aggregate numbers: nothing per private image. */
export interface EvaluationRow {
  readonly setting: 'public-only' | 'dp' | 'non-private';
  readonly label: string;
  /** Total ε for the planned T queries (dp rows only). */
  readonly epsilonTotal: number | null;
  readonly sigma: number | null;
  readonly epsilonPerQuery: number | null;
  /** True only for dp rows; the non-private reference is for the curator's eyes only and never released. */
  readonly differentiallyPrivate: boolean;
  /** Fréchet distance to the held-out images in the model's embedding space (all seeds pooled), 95% bootstrap interval, and per seed. */
  readonly fd: number;
  readonly fdInterval: Interval;
  readonly fdPerSeed: readonly number[];
  /** Mean cosine of generated image embedding and prompt text embedding. */
  readonly agreement: number;
  /** Judge attribute accuracy (when the prompts carry attributes, e.g. the demo world). */
  readonly judgeAccuracy: number | null;
  readonly judgePerAttribute: Readonly<Record<string, number>> | null;
  /** Share of images whose look attributes (the manifest's judge.lookAttributes) all match the held-out image's. */
  readonly folderInfluence: number | null;
  /** Share of images whose content attributes (the others) all match the prompt's. */
  readonly fidelity: number | null;
}

export interface EvaluationReport {
  readonly evaluationId: string;
  readonly datasetId: string;
  readonly datasetName: string;
  readonly createdAt: string;
  readonly dryRun: boolean;
  /** The plain privacy statement of this evaluation (show it next to the numbers). */
  readonly notice: string;
  readonly parameters: {
    readonly plannedQueries: number;
    readonly budgets: readonly number[];
    readonly q: number;
    readonly k: number;
    readonly lambda: number;
    readonly delta: number;
    readonly steps: number;
    readonly guidance: number;
    readonly seeds: number;
    readonly prompts: number;
    readonly heldOutImages: number;
    readonly retrievalImages: number;
    readonly splitSeed: number;
    readonly modelSet: string;
  };
  readonly audit: {
    /** DP queries this evaluation runs (or ran), each an 'audit' ledger entry. */
    readonly queries: number;
    readonly charged: number;
    /** ε of the audit queries alone, and the dataset's cumulative ε before and after them. */
    readonly epsilon: number;
    readonly cumulativeEpsilonBefore: number;
    readonly cumulativeEpsilonAfter: number;
    readonly epsilonCap: number;
    readonly delta: number;
    readonly fits: boolean;
  };
  readonly warnings: readonly string[];
  readonly rows: readonly EvaluationRow[];
  /** The miniature DP-RDM check: DP at the largest budget vs public-only, monotone FD over the budgets, the non-private line beyond. */
  readonly verdict: {
    readonly largestBudget: number;
    /** FD(public-only) − FD(DP at the largest budget): positive means DP retrieval is better. */
    readonly fdMargin: number;
    readonly fdMarginInterval: Interval;
    readonly beatsPublic: boolean;
    readonly monotone: boolean;
    /** FD(from) − FD(to) for each step up the ε axis and on to the non-private line, with paired intervals. */
    readonly steps: readonly { readonly from: string; readonly to: string; readonly fd: number; readonly interval: Interval }[];
    /** The non-private reference beats public-only by more than DP at the largest budget does. */
    readonly nonPrivateBeyondDp: boolean;
    readonly holds: boolean;
    readonly summary: string;
  } | null;
  /** The quality-vs-ε plot as a PNG data URL (null for a dry run). */
  readonly plotPng: string | null;
  /** Where the report was written (inside the studio's data folder). */
  readonly folder: string | null;
}

export interface StudioResponses {
  'studio.info': StudioInfo;
  'datasets.list': readonly DatasetSummary[];
  'datasets.add': IndexedSummary;
  'datasets.import': DatasetSummary & { readonly importedRows: number; readonly seconds: number };
  'datasets.show': DatasetDetail;
  'datasets.sync': IndexedSummary;
  'datasets.remove': { readonly removed: true };
  'prompt.check': PromptCheck;
  'generate.preview': GenerationPreview;
  'generate.run': GenerationResult;
  'generate.cancel': { readonly cancelled: boolean };
  'generate.rerender': GenerationResult;
  'history.list': readonly GenerationRecord[];
  'export.images': ExportResult;
  'ledger.show': LedgerView;
  'ledger.verify': VerifyResult;
  'ledger.unlock': UnlockResult;
  'ledger.export': LedgerExport;
  'evaluate.run': EvaluationReport;
  'settings.get': StudioSettings;
  'settings.set': StudioSettings;
}

// A channel without a response type (or a response without a channel) fails to compile here.
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const channelsMatchResponses: Exact<keyof StudioResponses, StudioChannel> = true;
void channelsMatchResponses;

// ---- events (progress) ---------------------------------------------------------------------------------------

export type StudioEvent =
  | { readonly type: 'progress'; readonly jobId: string; readonly task: 'index' | 'generate' | 'export' | 'evaluate'; readonly phase: string; readonly done: number; readonly total: number; readonly ratePerSecond?: number; readonly etaSeconds?: number }
  | { readonly type: 'preview'; readonly jobId: string; readonly imageIndex: number; readonly step: number; readonly steps: number; readonly pngDataUrl: string }
  | { readonly type: 'image'; readonly jobId: string; readonly image: GeneratedImage }
  | { readonly type: 'job-end'; readonly jobId: string; readonly outcome: 'done' | 'cancelled' | 'failed' };

/** A transport's link to the studio: lost, or restored (a restarted studio keeps its address and token). */
export type ConnectionState = 'lost' | 'restored';

// ---- errors ----------------------------------------------------------------------------------------------------

export type StudioErrorCode = 'INVALID_REQUEST' | 'NOT_FOUND' | 'BUDGET_EXCEEDED' | 'LEDGER_LOCKED' | 'CANCELLED' | 'MODEL_ERROR' | 'UNAUTHORIZED' | 'INTERNAL';

export interface StudioErrorBody {
  readonly code: StudioErrorCode;
  readonly message: string;
  /** For BUDGET_EXCEEDED: what is left and what would still fit. */
  readonly remainingEpsilon?: number;
  readonly suggestion?: string;
}

/** An error every transport carries unchanged to the caller (its message is safe to show). */
export class StudioError extends Error {
  constructor(
    readonly code: StudioErrorCode,
    message: string,
    readonly extra: { remainingEpsilon?: number; suggestion?: string } = {},
  ) {
    super(message);
    this.name = 'StudioError';
  }
  toBody(): StudioErrorBody {
    return { code: this.code, message: this.message, ...this.extra };
  }
}

// ---- the API as every client sees it, and as every host must implement it -----------------------------------

export type StudioApi = { [C in StudioChannel]: (request: StudioRequest<C>) => Promise<StudioResponses[C]> } & {
  onEvent(listener: (event: StudioEvent) => void): () => void;
  /** Transports that can lose the studio (HTTP) say so, and say when it is back; Electron's IPC cannot. */
  onConnection?(listener: (state: ConnectionState) => void): () => void;
};

export interface HandlerContext {
  /** Aborted when the client goes away (HTTP) or the window closes (Electron). */
  readonly signal?: AbortSignal;
}

export type StudioHandlers = { [C in StudioChannel]: (request: StudioParsedRequest<C>, context: HandlerContext) => Promise<StudioResponses[C]> };

export function parseRequest<C extends StudioChannel>(channel: C, payload: unknown): StudioParsedRequest<C> {
  const result = studioChannels[channel].safeParse(payload ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length ? `${issue.path.join('.')}: ` : '';
    throw new StudioError('INVALID_REQUEST', `${channel}: ${where}${issue?.message ?? 'invalid request'}`);
  }
  return result.data as StudioParsedRequest<C>;
}

export function isStudioChannel(name: string): name is StudioChannel {
  return Object.prototype.hasOwnProperty.call(studioChannels, name);
}
