/**
 * Seeded Gaussian noise for the sampler's initial x_T, from node:crypto's ChaCha20 keystream keyed by the seed
 * (`seededEntropy` in core/privacy/entropy.ts), so one seed gives the same image on every machine. Generated images are
 * post-processing of the private release and need no cryptographic secrecy, but a seed is still drawn from the
 * OS CSPRNG when the caller gives none.
 */
import { randomInt } from 'node:crypto';
import { RandomStream, seededEntropy } from '../privacy/index.ts';

export type Seed = number | string;

/** A fresh seed from node:crypto (an integer below 2^48, exactly representable and easy to type back in). */
export function randomSeed(): number {
  return randomInt(0, 2 ** 47) * 2 + randomInt(0, 2);
}

/** `count` standard normal values, as float32, fully determined by `seed`. */
export function seededNormal(seed: Seed, count: number, out: Float32Array = new Float32Array(count), offset = 0): Float32Array {
  const stream = new RandomStream(seededEntropy(`ddim-initial-noise:${String(seed)}`));
  for (let i = 0; i < count; i++) out[offset + i] = stream.normal();
  return out;
}
