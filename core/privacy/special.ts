/**
 * Special functions for the accountant, in log space and in float64.
 *
 * `logNormalTail(x) = ln P(Z > x)` for standard normal Z uses W. J. Cody's rational Chebyshev approximations
 * ("Rational Chebyshev approximation for the error function", Math. Comp. 1969; the same coefficients as
 * R's pnorm), which keep full double precision far into the tails, including in log space where a plain
 * `Math.log(erfc(x))` would underflow to -∞ and wreck the Rényi sums.
 */

// Cody's published coefficients carry more digits than a double holds; they are kept verbatim.
/* eslint-disable no-loss-of-precision */
const A = [2.2352520354606839287, 161.02823106855587881, 1067.6894854603709582, 18154.981253343561249, 0.065682337918207449113];
const B = [47.20258190468824187, 976.09855173777669322, 10260.932208618978205, 45507.789335026729956];
const C = [
  0.39894151208813466764, 8.8831497943883759412, 93.506656132177855979, 597.27027639480026226, 2494.5375852903726711,
  6848.1904505362823326, 11602.651437647350124, 9842.7148383839780218, 1.0765576773720192317e-8,
];
const D = [
  22.266688044328115691, 235.38790178262499861, 1519.377599407554805, 6485.558298266760755, 18615.571640885098091,
  34900.952721145977266, 38912.003286093271411, 19685.429676859990727,
];
const P = [0.21589853405795699, 0.1274011611602473639, 0.022235277870649807, 0.001421619193227893466, 2.9112874951168792e-5, 0.02307344176494017303];
const Q = [1.28426009614491121, 0.468238212480865118, 0.0659881378689285515, 0.00378239633202758244, 7.29751555083966205e-5];

/* eslint-enable no-loss-of-precision */

const SQRT_32 = Math.sqrt(32);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** ln of the probability beyond |x| in one tail, for |x| > 0.67448975 (Cody's second and third intervals). */
function logSmallTail(x: number): number {
  const y = Math.abs(x);
  let temp: number;
  if (y <= SQRT_32) {
    let num = C[8]! * y;
    let den = y;
    for (let i = 0; i < 7; i++) {
      num = (num + C[i]!) * y;
      den = (den + D[i]!) * y;
    }
    temp = (num + C[7]!) / (den + D[7]!);
  } else if (y < 1e170) {
    const inv2 = 1 / (y * y);
    let num = P[5]! * inv2;
    let den = inv2;
    for (let i = 0; i < 4; i++) {
      num = (num + P[i]!) * inv2;
      den = (den + Q[i]!) * inv2;
    }
    temp = (inv2 * (num + P[4]!)) / (den + Q[4]!);
    temp = (INV_SQRT_2PI - temp) / y;
  } else {
    return -Infinity;
  }
  // exp(-y²/2) split as exp(-ys²/2)·exp(-(y-ys)(y+ys)/2) with ys = y rounded down to 1/16, so that the
  // square is exact and the tail keeps its relative precision (Cody's trick).
  const ys = Math.trunc(y * 16) / 16;
  const del = (y - ys) * (y + ys);
  return -ys * ys * 0.5 - del * 0.5 + Math.log(temp);
}

/** ln P(Z > x) for a standard normal Z, accurate in both tails. NaN in, NaN out. */
export function logNormalTail(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const y = Math.abs(x);
  if (y <= 0.67448975) {
    let num = 0;
    let den = 0;
    if (y > Number.EPSILON * 0.5) {
      const x2 = x * x;
      num = A[4]! * x2;
      den = x2;
      for (let i = 0; i < 3; i++) {
        num = (num + A[i]!) * x2;
        den = (den + B[i]!) * x2;
      }
    }
    const temp = (x * (num + A[3]!)) / (den + B[3]!);
    return Math.log(0.5 - temp);
  }
  const small = logSmallTail(x);
  return x > 0 ? small : Math.log1p(-Math.exp(small));
}

/** ln erfc(x) = ln 2 + ln P(Z > x·√2). */
export function logErfc(x: number): number {
  return Math.LN2 + logNormalTail(x * Math.SQRT2);
}

/** ln(e^a + e^b) without overflow. */
export function logAdd(a: number, b: number): number {
  const hi = Math.max(a, b);
  const lo = Math.min(a, b);
  if (lo === -Infinity) return hi;
  return Math.log1p(Math.exp(lo - hi)) + hi;
}

/**
 * ln(e^a − e^b) for a ≥ b. Returns NaN when a < b: the caller treats that as a failed series and drops the
 * order, which can only raise ε.
 */
export function logSub(a: number, b: number): number {
  if (!(a >= b)) return NaN;
  if (b === -Infinity) return a;
  if (a === b) return -Infinity;
  const d = a - b;
  // expm1 overflows only for d > ~709, where ln(e^a − e^b) = a to double precision.
  return d > 700 ? a : Math.log(Math.expm1(d)) + b;
}
