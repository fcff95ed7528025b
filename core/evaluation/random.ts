/**
 * Reproducible randomness for the evaluation's bookkeeping (the held-out split and bootstrap resampling): a
 * SHA-256 counter stream from node:crypto, keyed by a label and a seed. It never feeds a privacy mechanism —
 * the DP noise and Poisson subsampling of every evaluation query come from the OS CSPRNG inside core/privacy.
 */
import { createHash } from 'node:crypto';

export class SeededStream {
  private block = new Uint32Array(0);
  private at = 0;
  private counter = 0;

  constructor(
    private readonly label: string,
    private readonly seed: number | string,
  ) {}

  private word(): number {
    if (this.at >= this.block.length) {
      const digest = createHash('sha256').update(`dprdm-evaluation:${this.label}:${String(this.seed)}:${this.counter++}`).digest();
      this.block = new Uint32Array(digest.buffer, digest.byteOffset, 8).slice();
      this.at = 0;
    }
    return this.block[this.at++]!;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    return ((this.word() >>> 5) * 67108864 + (this.word() >>> 6)) / 2 ** 53;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`int(n) needs a positive integer, got ${n}`);
    return Math.floor(this.uniform() * n);
  }

  /** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Uint32Array {
    const p = new Uint32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p;
  }
}
