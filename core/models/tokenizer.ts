/**
 * The word-level tokenizer of the embedded text encoder, mirroring the trainer's Python exactly:
 *   words = re.findall(r"[a-z]+", text.lower());  ids = [vocab.get(w, unkId) for w in words][:maxLength]
 *   then padded with padId to maxLength.
 * Nothing is silently lost: words outside the vocabulary are returned in `unknownWords`, words past
 * maxLength in `truncatedWords`, and letters/digits that are not a–z (digits, accented letters, other scripts),
 * which the model cannot see at all, in `ignoredCharacters`.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ModelSetError } from './errors.ts';
import type { TokenizerSpec } from './manifest.ts';

export const TokenizerFileSchema = z.looseObject({
  vocab: z.record(z.string(), z.number().int().nonnegative()),
  maxLength: z.number().int().positive(),
});

export interface Tokenized {
  /** Token ids, padded to maxLength. */
  ids: Int32Array;
  /** The words the model sees (after lowercasing and splitting), before truncation. */
  words: string[];
  /** Words not in the vocabulary (mapped to unkId), in order, without duplicates. */
  unknownWords: string[];
  /** Words beyond maxLength, which the model does not see. */
  truncatedWords: string[];
  /** Letters and digits outside a–z, which the splitter treats as separators. */
  ignoredCharacters: string[];
}

export class WordTokenizer {
  readonly maxLength: number;
  readonly padId: number;
  readonly unkId: number;
  readonly lowercase: boolean;

  constructor(
    readonly vocab: ReadonlyMap<string, number>,
    spec: Pick<TokenizerSpec, 'maxLength' | 'padId' | 'unkId' | 'lowercase'>,
  ) {
    this.maxLength = spec.maxLength;
    this.padId = spec.padId;
    this.unkId = spec.unkId;
    this.lowercase = spec.lowercase;
  }

  static async load(path: string, spec: Pick<TokenizerSpec, 'maxLength' | 'padId' | 'unkId' | 'lowercase'>): Promise<WordTokenizer> {
    const parsed = TokenizerFileSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
    if (!parsed.success) throw new ModelSetError('MANIFEST_INVALID', `Invalid tokenizer file ${path}: ${parsed.error.message}`, path);
    if (parsed.data.maxLength !== spec.maxLength) {
      throw new ModelSetError('MANIFEST_INVALID', `Tokenizer ${path} has maxLength ${parsed.data.maxLength}, the manifest says ${spec.maxLength}`, path);
    }
    return new WordTokenizer(new Map(Object.entries(parsed.data.vocab)), spec);
  }

  /** Lowercase (like Python's str.lower) and split into runs of a–z. */
  words(text: string): string[] {
    const normal = this.lowercase ? text.toLowerCase() : text;
    return normal.match(/[a-z]+/g) ?? [];
  }

  tokenize(text: string): Tokenized {
    const normal = this.lowercase ? text.toLowerCase() : text;
    const words = this.words(text);
    const ids = new Int32Array(this.maxLength).fill(this.padId);
    const unknown = new Set<string>();
    words.forEach((word, i) => {
      const id = this.vocab.get(word);
      if (id === undefined) unknown.add(word);
      if (i < this.maxLength) ids[i] = id ?? this.unkId;
    });
    const ignored = new Set(normal.match(/[^\sa-z\p{P}\p{S}]/gu) ?? []);
    return { ids, words, unknownWords: [...unknown], truncatedWords: words.slice(this.maxLength), ignoredCharacters: [...ignored] };
  }

  /** int64 ids for a batch, row-major [B, maxLength], as onnxruntime wants them. */
  batchIds(tokenized: readonly Tokenized[]): BigInt64Array {
    const out = new BigInt64Array(tokenized.length * this.maxLength);
    tokenized.forEach((t, b) => t.ids.forEach((id, j) => (out[b * this.maxLength + j] = BigInt(id))));
    return out;
  }
}
