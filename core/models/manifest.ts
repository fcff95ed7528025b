/**
 * The model-set manifest (docs/design.md §6): what files a set holds (with sha256), and every number the runtime needs
 * to use them — embedding dim, image preprocessing, tokenizer, decoder schedule, retrieval k and σ_max.
 * Unknown extra fields (descriptions, training notes) are kept but never relied upon.
 */
import type { RetrievalRange } from '../ledger/planner.ts';
import { conditionDim } from './condition.ts';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, normalize, sep } from 'node:path';
import { z } from 'zod';
import { ModelSetError } from './errors.ts';

export const MANIFEST_FILE = 'manifest.json';

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex sha256');
const relativePath = z
  .string()
  .min(1)
  .refine((p) => !isAbsolute(p) && !normalize(p).split(/[\\/]/).includes('..'), 'a path inside the model set folder');

export const FileEntrySchema = z.object({ path: relativePath, sha256: sha256Hex });
export type FileEntry = z.infer<typeof FileEntrySchema>;

const triple = z.tuple([z.number(), z.number(), z.number()]);
const positiveInt = z.number().int().positive();

export const ImageSpecSchema = z.looseObject({
  size: positiveInt,
  channels: z.literal(3),
  resize: z.enum(['cover', 'contain', 'fill']).default('cover'),
  mean: triple,
  std: triple.refine((s) => s.every((v) => v > 0), 'std entries must be > 0'),
  layout: z.literal('NCHW').default('NCHW'),
  /** Optional resize kernel hint; the runtime uses the leading sharp kernel name if it is one. */
  kernel: z.string().optional(),
});
export type ImageSpec = z.infer<typeof ImageSpecSchema>;

export const TokenizerSpecSchema = z.looseObject({
  type: z.literal('word'),
  maxLength: positiveInt,
  lowercase: z.boolean().default(true),
  split: z.string().optional(),
  padId: z.number().int().nonnegative().default(0),
  unkId: z.number().int().nonnegative().default(1),
});
export type TokenizerSpec = z.infer<typeof TokenizerSpecSchema>;

export const ScheduleSchema = z.looseObject({
  type: z.string(),
  trainSteps: positiveInt,
  alphasCumprod: z.array(z.number().gt(0).lte(1)),
});

/** How the trainer's reference sampler runs (train/diffusion.py); the TS sampler must match it exactly. */
export const SamplerSpecSchema = z.looseObject({
  type: z.literal('ddim').default('ddim'),
  eta: z.literal(0).default(0),
  defaultSteps: positiveInt.default(25),
  defaultGuidance: z.number().nonnegative().default(3),
  /** Guidance of the retrieval slot on its own (text+retrieval conditions only; train/diffusion.py ddim_sample). */
  retrievalGuidance: z.number().nonnegative().optional(),
  /** Clip the x0 prediction to outputRange at every step, then re-derive eps from the clipped x0. */
  clipX0: z.boolean().default(false),
});
export type SamplerSpec = z.infer<typeof SamplerSpecSchema>;

export const DecoderSpecSchema = z.looseObject({
  imageSize: positiveInt,
  channels: z.literal(3),
  condDim: positiveInt,
  prediction: z.literal('epsilon'),
  outputRange: z.tuple([z.number(), z.number()]),
  schedule: ScheduleSchema,
  sampler: SamplerSpecSchema.default({ type: 'ddim', eta: 0, defaultSteps: 25, defaultGuidance: 3, clipX0: false }),
  /** How the condition is laid out (./condition.ts); sets from before the field are 'mixed'. */
  condition: z.looseObject({ layout: z.enum(['mixed', 'text+retrieval']) }).default({ layout: 'mixed' }),
});
export type DecoderSpec = z.infer<typeof DecoderSpecSchema>;

export const ManifestSchema = z
  .looseObject({
    name: z.string().min(1),
    version: z.string().min(1),
    licence: z.string().min(1),
    files: z
      .object({
        textEncoder: FileEntrySchema,
        imageEncoder: FileEntrySchema,
        decoder: FileEntrySchema,
        judge: FileEntrySchema,
        tokenizer: FileEntrySchema,
        publicRetrieval: FileEntrySchema,
      })
      .catchall(FileEntrySchema),
    embedding: z.looseObject({ dim: positiveInt }),
    image: ImageSpecSchema,
    tokenizer: TokenizerSpecSchema,
    /** Prompts the studio suggests: content only, so that the look of what comes back is the folder's. */
    examplePrompts: z.array(z.string().trim().min(1).max(200)).max(12).default([]),
    decoder: DecoderSpecSchema,
    retrieval: z.looseObject({
      k: positiveInt,
      sigmaMax: z.number().nonnegative(),
      publicRetrievalCount: z.number().int().nonnegative(),
      /** The k values the decoder was trained with (the planner chooses among them); default [k]. */
      trainedKs: z.array(positiveInt).min(1).optional(),
      /** Signal-to-noise thresholds for "strong" / "some" folder influence, measured by the model set's quality run. */
      influence: z.object({ strong: z.number().positive(), some: z.number().positive() }).optional(),
      /** The weight λ of the retrieved condition the decoder works best with (the studio's default). */
      lambda: z.number().min(0).max(1).optional(),
      /** Below this median nearest-public cosine a folder is unlike what the model set knows (core/datasets/familiarity.ts). */
      familiarity: z.object({ warnBelow: z.number().min(-1).max(1) }).optional(),
      /** The precision new private stores are kept in: float16 where the model set's report measured its top-k agreement. */
      storePrecision: z.enum(['float32', 'float16']).default('float32'),
    }),
    judge: z.looseObject({
      /** One ONNX output per attribute, named as here, with logits over these labels (in this order). */
      attributes: z.record(z.string().regex(/^[a-z][a-zA-Z0-9_]*$/), z.array(z.string()).min(1)),
      /** The attributes that make a look (what a folder carries and prompts leave unsaid); the others are content. */
      lookAttributes: z.array(z.string()).optional(),
      inputRange: z.tuple([z.number(), z.number()]),
    }),
  })
  .superRefine((m, ctx) => {
    const sched = m.decoder.schedule;
    if (sched.alphasCumprod.length !== sched.trainSteps) {
      ctx.addIssue({
        code: 'custom',
        path: ['decoder', 'schedule', 'alphasCumprod'],
        message: `has ${sched.alphasCumprod.length} values, expected trainSteps = ${sched.trainSteps}`,
      });
    }
    const expected = conditionDim(m.decoder.condition.layout, m.embedding.dim);
    if (m.decoder.condDim !== expected) {
      ctx.addIssue({ code: 'custom', path: ['decoder', 'condDim'], message: `must be ${expected} for the ${m.decoder.condition.layout} condition at embedding.dim ${m.embedding.dim}` });
    }
  });
export type Manifest = z.infer<typeof ManifestSchema>;
export const REQUIRED_FILES = ['textEncoder', 'imageEncoder', 'decoder', 'judge', 'tokenizer', 'publicRetrieval'] as const;
export type ModelFileKey = (typeof REQUIRED_FILES)[number];

/** Validates an already-parsed manifest object; throws `ModelSetError('MANIFEST_INVALID')` naming every bad field. */
export function parseManifest(value: unknown, source = MANIFEST_FILE): Manifest {
  const parsed = ManifestSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ModelSetError('MANIFEST_INVALID', `Invalid model manifest ${source}: ${issues}`, source);
  }
  return parsed.data;
}

/** Reads and validates `<dir>/manifest.json`. Hashes are checked separately by `verifyModelSet`. */
export async function readManifest(dir: string): Promise<Manifest> {
  const file = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ModelSetError('MANIFEST_MISSING', `Model manifest not found or unreadable: ${file} (${code ?? String(error)})`, file);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModelSetError('MANIFEST_INVALID', `Model manifest ${file} is not valid JSON: ${(error as Error).message}`, file);
  }
  return parseManifest(json, file);
}

/** Absolute path of a manifest file entry inside the set folder. */
export function modelFilePath(dir: string, entry: FileEntry): string {
  const full = join(dir, entry.path);
  if (!normalize(full).startsWith(normalize(dir + sep))) {
    throw new ModelSetError('FILE_PATH_INVALID', `Manifest path escapes the model set folder: ${entry.path}`, entry.path);
  }
  return full;
}

/**
 * The decoder's trained range for the utility planner (core/ledger/planner.ts). A model set that does not state
 * its influence thresholds gets 2 / 0.7, an unmeasured rule of thumb (the aggregate's norm twice / 0.7 times the noise's).
 */
export function retrievalRange(manifest: Manifest): RetrievalRange {
  const r = manifest.retrieval;
  return { trainedKs: r.trainedKs ?? [r.k], dim: manifest.embedding.dim, sigmaMax: r.sigmaMax, influence: r.influence ?? { strong: 2, some: 0.7 } };
}
