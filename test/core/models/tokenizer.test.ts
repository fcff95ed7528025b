// The word tokenizer mirrors the trainer's Python (lowercase, runs of a–z, unk, truncate, pad) and reports
// everything the model cannot see instead of dropping it silently.
import { describe, expect, it } from 'vitest';
import { WordTokenizer, readManifest, verifyModelSet } from '../../../core/models/index.ts';
import { MODEL_SET_DIR } from './golden-fixtures.ts';

const vocab = new Map([
  ['<pad>', 0],
  ['<unk>', 1],
  ['a', 2],
  ['red', 3],
  ['star', 4],
  ['on', 5],
  ['blue', 6],
]);
const tok = new WordTokenizer(vocab, { maxLength: 6, padId: 0, unkId: 1, lowercase: true });

describe('WordTokenizer', () => {
  it('lowercases, splits on anything but a–z, pads', () => {
    const t = tok.tokenize('  A RED-star,on\tBlue!! ');
    expect(t.words).toEqual(['a', 'red', 'star', 'on', 'blue']);
    expect(Array.from(t.ids)).toEqual([2, 3, 4, 5, 6, 0]);
    expect(t.unknownWords).toEqual([]);
    expect(t.truncatedWords).toEqual([]);
    expect(t.ignoredCharacters).toEqual([]);
  });

  it('maps unknown words to unk and reports each once, in order', () => {
    const t = tok.tokenize('a Crimson star on a crimson hexagon');
    expect(Array.from(t.ids)).toEqual([2, 1, 4, 5, 2, 1]);
    expect(t.unknownWords).toEqual(['crimson', 'hexagon']); // hexagon is also past maxLength
    expect(t.truncatedWords).toEqual(['hexagon']);
  });

  it('reports truncated words and characters the splitter cannot see', () => {
    const t = tok.tokenize('a red star on blue a red 3 stars, café');
    expect(t.ids.length).toBe(6);
    expect(t.truncatedWords).toEqual(['red', 'stars', 'caf']);
    expect(t.unknownWords).toEqual(['stars', 'caf']);
    expect(t.ignoredCharacters).toEqual(['3', 'é']);
  });

  it('packs a batch as int64 [B, maxLength]', () => {
    const ids = tok.batchIds([tok.tokenize('red'), tok.tokenize('blue star')]);
    expect(Array.from(ids, Number)).toEqual([3, 0, 0, 0, 0, 0, 6, 4, 0, 0, 0, 0]);
  });

  it('loads the committed tokenizer.json, which must agree with the manifest', async () => {
    const set = await verifyModelSet(MODEL_SET_DIR);
    const m = await readManifest(MODEL_SET_DIR);
    const real = await WordTokenizer.load(set.paths.tokenizer, m.tokenizer);
    expect(real.maxLength).toBe(m.tokenizer.maxLength);
    const t = real.tokenize('a red star zyzzyva');
    expect(t.unknownWords).toEqual(['zyzzyva']);
    expect(t.ids[3]).toBe(m.tokenizer.unkId);
    expect(t.ids[4]).toBe(m.tokenizer.padId);
  });
});
