/** Test helpers for core/datasets: a deterministic stand-in encoder (bookkeeping tests only), temp homes, ledgers. */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImageEmbedder } from '../../../core/datasets/embedder.ts';
import type { ImageSpec } from '../../../core/models/index.ts';
import { openLedger, type Ledger } from '../../../core/ledger/index.ts';

export const TEST_SPEC: ImageSpec = { size: 32, channels: 3, resize: 'cover', mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], layout: 'NCHW' };

/**
 * A deterministic "encoder": a fixed pseudo-random projection of the preprocessed pixels. Identical inputs give
 * identical embeddings; used ONLY where the model is not what is tested (scan and sync bookkeeping). Counts calls.
 */
export class ProjectionEmbedder implements ImageEmbedder {
  readonly modelSet = 'test-projection@1';
  readonly imageSpec: ImageSpec;
  readonly dim: number;
  calls = 0;
  images = 0;
  private readonly weights: Float32Array;
  constructor(dim = 16, spec: ImageSpec = TEST_SPEC) {
    this.dim = dim;
    this.imageSpec = spec;
    const inputs = 3 * spec.size * spec.size;
    this.weights = new Float32Array(inputs * dim);
    let block = Buffer.alloc(0);
    let offset = 0;
    let counter = 0;
    for (let i = 0; i < this.weights.length; i++) {
      if (offset + 4 > block.length) {
        block = createHash('sha256').update(`w${counter++}`).digest();
        offset = 0;
      }
      this.weights[i] = block.readInt32LE(offset) / 2 ** 31;
      offset += 4;
    }
  }
  async embed(tensors: readonly Float32Array[]): Promise<Float32Array> {
    this.calls++;
    this.images += tensors.length;
    const out = new Float32Array(tensors.length * this.dim);
    tensors.forEach((t, n) => {
      for (let i = 0; i < t.length; i++) {
        const v = t[i]!;
        if (v === 0) continue;
        const base = i * this.dim;
        for (let j = 0; j < this.dim; j++) out[n * this.dim + j]! += v * this.weights[base + j]!;
      }
      out[n * this.dim] = out[n * this.dim]! + 1e-3; // never exactly zero
    });
    return out;
  }
}

export interface TempHome {
  readonly home: string;
  readonly ledger: Ledger;
  cleanup(): void;
}

export function tempHome(prefix = 'dprdm-ds-'): TempHome {
  const home = mkdtempSync(join(tmpdir(), prefix));
  const ledger = openLedger(join(home, 'ledger.sqlite'));
  return {
    home,
    ledger,
    cleanup() {
      ledger.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export function tempDir(prefix = 'dprdm-folder-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
