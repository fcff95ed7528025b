// Reads the trainer's golden fixtures (native-models/<set>/golden/, written by train/golden.py with Python
// onnxruntime). Nothing here hard-codes a fixture value: the tests follow whatever export is committed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const MODEL_SET_DIR = join(REPO_ROOT, 'native-models', 'looks-v1');
export const GOLDEN_DIR = join(MODEL_SET_DIR, 'golden');

interface FileInfo {
  dtype: 'float32' | 'int64';
  shape: number[];
}

export interface GoldenIndex {
  files: Record<string, FileInfo>;
  prompts: string[];
  images: string[];
  /** `retrievalGuidance` g_r and `textValues` (the text slot's width) for a text+retrieval model set. */
  ddim: { steps: number; guidance: number; retrievalGuidance?: number; textValues?: number; eta: number; timesteps: number[] };
}

export function goldenIndex(): GoldenIndex {
  return JSON.parse(readFileSync(join(GOLDEN_DIR, 'index.json'), 'utf8')) as GoldenIndex;
}

function info(name: string): FileInfo {
  const entry = goldenIndex().files[name];
  if (!entry) throw new Error(`golden/index.json does not describe ${name}`);
  return entry;
}

export function goldenShape(name: string): number[] {
  return info(name).shape;
}

/** A float32 fixture (little-endian raw), checked against the size its index entry declares. */
export function goldenF32(name: string): Float32Array {
  const { dtype, shape } = info(name);
  if (dtype !== 'float32') throw new Error(`${name} is ${dtype}`);
  const buf = readFileSync(join(GOLDEN_DIR, name));
  const out = new Float32Array(buf.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(i * 4);
  const expected = shape.reduce((a, b) => a * b, 1);
  if (out.length !== expected) throw new Error(`${name}: ${out.length} values, index says ${expected}`);
  return out;
}

export function goldenI64(name: string): number[] {
  const { dtype } = info(name);
  if (dtype !== 'int64') throw new Error(`${name} is ${dtype}`);
  const buf = readFileSync(join(GOLDEN_DIR, name));
  return Array.from({ length: buf.length / 8 }, (_, i) => Number(buf.readBigInt64LE(i * 8)));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (Number.isNaN(d)) return Number.NaN;
    if (d > m) m = d;
  }
  return m;
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return ab / Math.sqrt(aa * bb);
}
