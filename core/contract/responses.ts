/**
 * What every channel answers (core/contract/contract.ts maps channels to these; the renderer imports them through
 * it). Browse-safe: types only. Nothing here may carry data derived from private images other than generated pixels
 * (contract.ts's header).
 */
import type { FolderInfluence } from './folder-influence.ts';

/** The samplers (contract.ts: SAMPLERS). */
export type Sampler = 'ddim' | 'dpmpp-2m';

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
