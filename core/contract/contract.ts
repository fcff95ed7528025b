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
import type { Sampler, DatasetDetail, DatasetSummary, EvaluationReport, ExportResult, GeneratedImage, GenerationPreview, GenerationRecord, GenerationResult, IndexedSummary, LedgerExport, LedgerView, PromptCheck, StudioInfo, StudioSettings, UnlockResult, VerifyResult } from './responses.ts';

export type * from './responses.ts';
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
 * The sampler default: DPM-Solver++(2M) at 12 steps, 48 % of DDIM 25's time per image on this project's 2-core CPU,
 * with the judge's fidelity within 2 points of DDIM 25 and the Demo's house look as often (docs/evaluation/README.md).
 */
export const GENERATION_DEFAULTS = { lambda: 1, images: 4, guidance: 3, steps: 12, sampler: 'dpmpp-2m' } as const;

/** The samplers: DDIM (the trainer's reference) and DPM-Solver++(2M), a second-order solver of the same ODE (at most 100 steps). */
export const SAMPLERS = ['ddim', 'dpmpp-2m'] as const satisfies readonly Sampler[];
export const DPM_MAX_STEPS = 100;

/** What the settings may ask for: the best available (auto), the CPU, or one accelerator. */
export const EXECUTION_PROVIDERS = ['auto', 'cpu', 'cuda', 'dml', 'coreml'] as const;
/** How a dataset's private store keeps its embeddings (float16: half the bytes; products still summed in float32). */
export const STORE_PRECISIONS = ['float32', 'float16'] as const;
const storePrecision = z.enum(STORE_PRECISIONS);

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
    /** The private store's precision; default: the model set's (its manifest's retrieval.storePrecision). */
    precision: storePrecision.optional(),
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
    precision: storePrecision.optional(),
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
  'settings.set': z.strictObject({ executionProvider: z.enum(EXECUTION_PROVIDERS).optional() }),
} as const;

export type StudioChannel = keyof typeof studioChannels;
export type StudioRequest<C extends StudioChannel> = z.input<(typeof studioChannels)[C]>;
export type StudioParsedRequest<C extends StudioChannel> = z.output<(typeof studioChannels)[C]>;
export type GenerateRequest = z.output<typeof generateRequest>;
export type PreviewRequest = z.output<typeof previewRequest>;
export type EvaluateRequest = z.output<typeof evaluateRequest>;

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
