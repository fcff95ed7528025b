/**
 * The only source of randomness for privacy code: node:crypto.
 *
 * Production code uses `cryptoEntropy()` (the OS CSPRNG through `randomFillSync`, buffered). Tests that need
 * reproducibility inject `seededEntropy(seed)`, a ChaCha20 keystream from node:crypto keyed by the seed's
 * SHA-256, so even test randomness never comes from a non-cryptographic generator.
 */
import { createCipheriv, createHash, randomFillSync } from 'node:crypto';
import { PrivacyParameterError } from './errors.ts';
import { requireProbability } from './validate.ts';

export interface EntropySource {
  /** Fills `target` with uniformly random bytes. */
  fill(target: Uint8Array): void;
}

/** The operating system's CSPRNG. */
export function cryptoEntropy(): EntropySource {
  return { fill: (target) => void randomFillSync(target) };
}

/**
 * A deterministic ChaCha20 keystream: for tests, benchmarks and the sampler's seeded image noise (post-processing
 * of a release); never for the private mechanism itself.
 */
export function seededEntropy(seed: string | number): EntropySource {
  const key = createHash('sha256').update(`dprdm-seeded-entropy:${String(seed)}`).digest();
  const cipher = createCipheriv('chacha20', key, Buffer.alloc(16));
  return {
    fill(target) {
      const out = cipher.update(Buffer.alloc(target.length));
      target.set(out);
    },
  };
}

const BUFFER_BYTES = 1 << 16;
const TWO_POW_53 = 2 ** 53;

/**
 * Uniform and normal variates from an entropy source, buffered so that a private query costs a few `fill`
 * calls rather than one per draw.
 */
export class RandomStream {
  private readonly bytes = new Uint8Array(BUFFER_BYTES);
  private readonly words = new Uint32Array(this.bytes.buffer);
  private next = BUFFER_BYTES / 4;
  private spareNormal: number | undefined;

  constructor(private readonly source: EntropySource = cryptoEntropy()) {}

  private word(): number {
    if (this.next >= this.words.length) {
      this.source.fill(this.bytes);
      this.next = 0;
    }
    return this.words[this.next++]!;
  }

  /** A uniform double in [0, 1) with 53 random bits: every multiple of 2^-53 equally likely. */
  uniform(): number {
    const hi = this.word() >>> 5; // 27 bits
    const lo = this.word() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / TWO_POW_53;
  }

  /** A uniform double in (0, 1]: safe under a logarithm. */
  uniformPositive(): number {
    return 1 - this.uniform();
  }

  /** A standard normal variate (Box–Muller on 53-bit uniforms, both outputs used). */
  normal(): number {
    const spare = this.spareNormal;
    if (spare !== undefined) {
      this.spareNormal = undefined;
      return spare;
    }
    const radius = Math.sqrt(-2 * Math.log(this.uniformPositive()));
    const angle = 2 * Math.PI * this.uniform();
    this.spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  /**
   * Poisson subsample of {0, …, n−1}: each index independently with probability q, drawn by geometric gaps
   * (the gap before the next included index is ⌊ln U / ln(1−q)⌋), so the cost is O(qn) draws, not O(n).
   * Returned in increasing order.
   */
  poissonSubsample(n: number, q: number): Uint32Array {
    requireProbability('q', q);
    if (!Number.isSafeInteger(n) || n < 0 || n > 0xffffffff) {
      throw new PrivacyParameterError('n', `must be an integer in [0, 2^32), got ${String(n)}`);
    }
    if (q === 1) return Uint32Array.from({ length: n }, (_, i) => i);
    const log1mQ = Math.log1p(-q);
    let capacity = Math.max(16, Math.ceil(n * q + 6 * Math.sqrt(n * q) + 16));
    let picked = new Uint32Array(capacity);
    let count = 0;
    let index = -1;
    for (;;) {
      const gap = Math.floor(Math.log(this.uniformPositive()) / log1mQ);
      index += gap + 1;
      if (!(index < n)) break;
      if (count === capacity) {
        capacity *= 2;
        const grown = new Uint32Array(capacity);
        grown.set(picked);
        picked = grown;
      }
      picked[count++] = index;
    }
    return picked.slice(0, count);
  }
}

/**
 * Rounds every coordinate to the grid 2^(⌊log2 σ⌋ − 20), far below the noise scale: a guard against
 * floating-point attacks on the low bits of Gaussian samples (Mironov 2012, "On significance of the least
 * significant bits for differential privacy"; docs/design.md §3 step 5).
 */
export function roundToNoiseGrid(values: Float64Array, sigma: number): void {
  const exponent = Math.floor(Math.log2(sigma)) - 20;
  const step = 2 ** exponent;
  for (let i = 0; i < values.length; i++) values[i] = Math.round(values[i]! / step) * step;
}
