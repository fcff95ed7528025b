/** Batched text and image encoders over onnxruntime sessions (one thread; see model-host.ts for workers). */
import { ort, runFloat } from './session.ts';
import type { Tokenized, WordTokenizer } from './tokenizer.ts';

export interface EmbeddingBatch {
  /** Row-major [count, dim] float32, unit-norm rows. */
  data: Float32Array;
  count: number;
  dim: number;
}

export interface TextEmbeddingBatch extends EmbeddingBatch {
  /** Per text: what the tokenizer could not represent (unknown words, truncation, ignored characters). */
  tokens: Tokenized[];
}

/** Rescales every row of a [count, dim] matrix to unit L2 norm in place (a zero row stays zero). */
export function normalizeRows(data: Float32Array, dim: number): Float32Array {
  for (let off = 0; off < data.length; off += dim) {
    let sum = 0;
    for (let j = 0; j < dim; j++) sum += data[off + j]! * data[off + j]!;
    if (sum > 0) {
      const inv = 1 / Math.sqrt(sum);
      for (let j = 0; j < dim; j++) data[off + j] = data[off + j]! * inv;
    }
  }
  return data;
}

function checkBatchSize(maxBatch: number): number {
  if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError(`maxBatch must be a positive integer, got ${maxBatch}`);
  return maxBatch;
}

export interface EncoderOptions {
  /** Largest batch handed to onnxruntime at once (default 64). */
  maxBatch?: number;
  /** Re-normalise outputs to unit norm (default true; the exported encoders already normalise). */
  normalize?: boolean;
}

export class TextEncoderModel {
  constructor(
    private readonly session: ort.InferenceSession,
    readonly tokenizer: WordTokenizer,
    readonly dim: number,
    private readonly options: EncoderOptions = {},
  ) {}

  async embedTexts(texts: readonly string[]): Promise<TextEmbeddingBatch> {
    const tokens = texts.map((t) => this.tokenizer.tokenize(t));
    const data = await this.embedTokens(tokens);
    return { data, count: texts.length, dim: this.dim, tokens };
  }

  async embedTokens(tokens: readonly Tokenized[]): Promise<Float32Array> {
    const maxBatch = checkBatchSize(this.options.maxBatch ?? 64);
    const L = this.tokenizer.maxLength;
    const out = new Float32Array(tokens.length * this.dim);
    for (let start = 0; start < tokens.length; start += maxBatch) {
      const chunk = tokens.slice(start, start + maxBatch);
      const ids = new ort.Tensor('int64', this.tokenizer.batchIds(chunk), [chunk.length, L]);
      const emb = await runFloat(this.session, { input_ids: ids }, 'embedding');
      out.set(emb.subarray(0, chunk.length * this.dim), start * this.dim);
    }
    return this.options.normalize === false ? out : normalizeRows(out, this.dim);
  }
}

export class ImageEncoderModel {
  constructor(
    private readonly session: ort.InferenceSession,
    readonly imageSize: number,
    readonly dim: number,
    private readonly options: EncoderOptions = {},
  ) {}

  /** `tensors`: preprocessed images (see imageToTensor), each 3·S·S, or one packed [B,3,S,S] array. */
  async embedImages(tensors: readonly Float32Array[] | Float32Array): Promise<EmbeddingBatch> {
    const per = 3 * this.imageSize * this.imageSize;
    const packed = tensors instanceof Float32Array ? tensors : packTensors(tensors, per);
    if (packed.length % per !== 0) throw new RangeError(`embedImages: ${packed.length} values is not a multiple of 3·${this.imageSize}²`);
    const count = packed.length / per;
    const maxBatch = checkBatchSize(this.options.maxBatch ?? 64);
    const out = new Float32Array(count * this.dim);
    for (let start = 0; start < count; start += maxBatch) {
      const n = Math.min(maxBatch, count - start);
      const pixels = new ort.Tensor('float32', packed.slice(start * per, (start + n) * per), [n, 3, this.imageSize, this.imageSize]);
      const emb = await runFloat(this.session, { pixels }, 'embedding');
      out.set(emb.subarray(0, n * this.dim), start * this.dim);
    }
    return { data: this.options.normalize === false ? out : normalizeRows(out, this.dim), count, dim: this.dim };
  }
}

export function packTensors(tensors: readonly Float32Array[], per: number): Float32Array {
  const packed = new Float32Array(tensors.length * per);
  tensors.forEach((t, i) => {
    if (t.length !== per) throw new RangeError(`image tensor ${i} has ${t.length} values, expected ${per}`);
    packed.set(t, i * per);
  });
  return packed;
}
