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

/**
 * The binary16 pattern nearest to the float32 whose bit pattern is `x`, with branches only for the rare ranges (an
 * import encodes 10^8–10^9 values): a normal result is the rebiased pattern with its 13 dropped bits rounded by
 * integer addition, a subnormal one comes from a float addition that aligns it (F. Giesen, "float_to_half_fast3_rtne").
 */
function float16OfFloat32Bits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const magnitude = x & 0x7fffffff;
  // ≥ 2^16 (beyond rounding to 65504), ∞, or NaN (kept quiet, payload dropped)
  if (magnitude >= 0x47800000) return sign | (magnitude > 0x7f800000 ? 0x7e00 : 0x7c00);
  if (magnitude < 0x38800000) {
    // below 2^-14, binary16's smallest normal: 0.5 + |x| in float32 has its last bit at 2^-24, binary16's subnormal
    // step, so the addition rounds |x| to nearest, ties to even (a float32 sum computed in float64 and rounded
    // once more is still correctly rounded: 53 ≥ 2·24 + 2); 0.5's pattern off, the binary16 pattern remains
    u32[0] = magnitude;
    f32[0] = f32[0]! + 0.5;
    return sign | (u32[0]! - 0x3f000000);
  }
  // exponent 127 → 15 (−112·2^23); adding 0xfff plus the kept last bit rounds to nearest, ties to even, and a carry
  // moves into the next binade (or ∞, from 65520 on), as it should
  return sign | ((magnitude - 0x38000000 + 0xfff + ((magnitude >>> 13) & 1)) >>> 13);
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
