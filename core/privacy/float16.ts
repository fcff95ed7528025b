/**
 * IEEE 754 binary16 ("float16"), the half-precision form of a private store (docs/design.md §3): half the bytes of
 * float32, so a memory-bound private query reads half as much. Values are kept as their 16-bit patterns; products
 * are always taken and summed in float32 or better (simd-scores.ts, embedding-rows.ts). Node 20 has no
 * Float16Array, hence these two functions.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Every binary16 pattern's value (256 KiB): decoding is one lookup. */
export const FLOAT16_VALUES: Float32Array = (() => {
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >>> 10) & 0x1f;
    const fraction = h & 0x3ff;
    table[h] =
      exponent === 0 ? sign * fraction * 2 ** -24 : exponent === 31 ? (fraction === 0 ? sign * Infinity : NaN) : sign * (1024 + fraction) * 2 ** (exponent - 25);
  }
  return table;
})();

/** The binary16 pattern nearest to `value` (rounded to float32 first, then to nearest, ties to even; NaN stays NaN). */
export function float16Bits(value: number): number {
  f32[0] = value;
  return float16OfFloat32Bits(u32[0]!);
}

/** The binary16 pattern nearest to the float32 whose bit pattern is `x`. */
function float16OfFloat32Bits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa !== 0 ? 0x200 : 0);
  const e = exponent - 112; // the binary16 exponent field
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal
    mantissa |= 0x800000;
    const shift = 14 - e;
    let half = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const middle = 1 << (shift - 1);
    if (rest > middle || (rest === middle && (half & 1) === 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1)) half++; // a carry rounds into the next binade (or ∞), as it should
  return sign | half;
}

/** float32 values → binary16 patterns, into `out` (same length). */
export function encodeFloat16(values: ArrayLike<number>, out: Uint16Array = new Uint16Array(values.length)): Uint16Array {
  if (values instanceof Float32Array && values.byteOffset % 4 === 0) {
    // a float32 array's own bit patterns: no round trip through a scratch value (an import encodes 10^8–10^9 values)
    const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
    for (let i = 0; i < bits.length; i++) out[i] = float16OfFloat32Bits(bits[i]!);
    return out;
  }
  for (let i = 0; i < values.length; i++) out[i] = float16Bits(values[i]!);
  return out;
}

/** binary16 patterns → float32 values, into `out` (same length). */
export function decodeFloat16(bits: ArrayLike<number>, out: Float32Array = new Float32Array(bits.length)): Float32Array {
  for (let i = 0; i < bits.length; i++) out[i] = FLOAT16_VALUES[bits[i]!]!;
  return out;
}
