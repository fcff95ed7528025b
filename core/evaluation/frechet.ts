/**
 * Fréchet distance between two sets of embeddings, each summarised as a Gaussian (mean μ, covariance Σ), as in
 * FID (Heusel et al. 2017) but in the model set's own embedding space:
 *
 *   FD = ‖μ₁ − μ₂‖² + tr(Σ₁) + tr(Σ₂) − 2·tr( (Σ₁^{1/2} Σ₂ Σ₁^{1/2})^{1/2} )
 *
 * tr((Σ₁Σ₂)^{1/2}) equals tr((Σ₁^{1/2}Σ₂Σ₁^{1/2})^{1/2}), and the latter only needs square roots of symmetric
 * positive semi-definite matrices, which we take exactly from a Jacobi eigendecomposition (eigenvalues below 0 from
 * rounding are clamped to 0). Everything is float64. Covariances use the unbiased 1/(n−1) estimate (numpy.cov).
 */

export interface Gaussian {
  readonly dim: number;
  readonly mean: Float64Array;
  /** Row-major dim×dim, symmetric. */
  readonly cov: Float64Array;
}

/** Mean and covariance of `count` rows of `dim` values (row-major). Needs at least two rows. */
export function gaussianOf(data: ArrayLike<number>, count: number, dim: number): Gaussian {
  if (!(Number.isInteger(count) && count >= 2)) throw new RangeError(`a Fréchet distance needs at least 2 samples, got ${count}`);
  if (!(Number.isInteger(dim) && dim >= 1) || data.length < count * dim) throw new RangeError(`need ${count}×${dim} values, got ${data.length}`);
  const mean = new Float64Array(dim);
  for (let i = 0; i < count; i++) for (let j = 0; j < dim; j++) mean[j]! += data[i * dim + j]!;
  for (let j = 0; j < dim; j++) mean[j]! /= count;
  const cov = new Float64Array(dim * dim);
  const centred = new Float64Array(dim);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < dim; j++) centred[j] = data[i * dim + j]! - mean[j]!;
    for (let a = 0; a < dim; a++) {
      const ca = centred[a]!;
      if (ca === 0) continue;
      for (let b = a; b < dim; b++) cov[a * dim + b]! += ca * centred[b]!;
    }
  }
  for (let a = 0; a < dim; a++) {
    for (let b = a; b < dim; b++) {
      const v = cov[a * dim + b]! / (count - 1);
      cov[a * dim + b] = v;
      cov[b * dim + a] = v;
    }
  }
  for (const v of cov) if (!Number.isFinite(v)) throw new RangeError('the embeddings contain NaN or ±∞');
  return { dim, mean, cov };
}

export interface Eigen {
  /** Eigenvalues (unsorted). */
  readonly values: Float64Array;
  /** Eigenvectors as columns of a row-major n×n matrix. */
  readonly vectors: Float64Array;
}

/** Eigendecomposition of a symmetric n×n matrix by cyclic Jacobi rotations (accurate to rounding for n ≲ 1000). */
export function symmetricEigen(matrix: ArrayLike<number>, n: number): Eigen {
  if (matrix.length !== n * n) throw new RangeError(`expected ${n}×${n} values, got ${matrix.length}`);
  const a = Float64Array.from(matrix);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const s = (a[i * n + j]! + a[j * n + i]!) / 2;
      a[i * n + j] = s;
      a[j * n + i] = s;
    }
  }
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let scale = 0;
  for (const x of a) scale = Math.max(scale, Math.abs(x));
  if (!Number.isFinite(scale)) throw new RangeError('the matrix contains NaN or ±∞');
  for (let sweep = 0; sweep < 100 && scale > 0; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q]! * a[p * n + q]!;
    if (Math.sqrt(off) <= 1e-15 * scale * n) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (Math.abs(apq) <= 1e-300) continue;
        const app = a[p * n + p]!;
        const aqq = a[q * n + q]!;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          // rows/columns p and q of A (A stays symmetric: update columns, then rows)
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = a[i * n + i]!;
  return { values, vectors: v };
}

/** The symmetric positive semi-definite square root of a symmetric PSD matrix (negative rounding noise → 0). */
export function sqrtPsd(matrix: ArrayLike<number>, n: number): Float64Array {
  const { values, vectors } = symmetricEigen(matrix, n);
  const root = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const s = Math.sqrt(Math.max(0, values[k]!));
    if (s === 0) continue;
    for (let i = 0; i < n; i++) {
      const vik = vectors[i * n + k]! * s;
      if (vik === 0) continue;
      for (let j = 0; j < n; j++) root[i * n + j]! += vik * vectors[j * n + k]!;
    }
  }
  return root;
}

function multiply(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k]!;
      if (aik === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j]! += aik * b[k * n + j]!;
    }
  }
  return out;
}

/** tr((Σ₁^{1/2} Σ₂ Σ₁^{1/2})^{1/2}) = tr((Σ₁Σ₂)^{1/2}). */
export function traceSqrtProduct(cov1: Float64Array, cov2: Float64Array, n: number): number {
  const root1 = sqrtPsd(cov1, n);
  const inner = multiply(multiply(root1, cov2, n), root1, n);
  const { values } = symmetricEigen(inner, n);
  let sum = 0;
  for (const v of values) sum += Math.sqrt(Math.max(0, v));
  return sum;
}

export function frechetDistance(a: Gaussian, b: Gaussian): number {
  if (a.dim !== b.dim) throw new RangeError(`dimensions differ: ${a.dim} vs ${b.dim}`);
  const n = a.dim;
  let meanTerm = 0;
  for (let j = 0; j < n; j++) meanTerm += (a.mean[j]! - b.mean[j]!) ** 2;
  let traces = 0;
  for (let j = 0; j < n; j++) traces += a.cov[j * n + j]! + b.cov[j * n + j]!;
  const fd = meanTerm + traces - 2 * traceSqrtProduct(a.cov, b.cov, n);
  // Rounding can leave a tiny negative value for identical inputs.
  return Math.max(0, fd);
}

/** FD between two embedding sets given as row-major [count, dim] arrays. */
export function frechetDistanceOf(x: ArrayLike<number>, xCount: number, y: ArrayLike<number>, yCount: number, dim: number): number {
  return frechetDistance(gaussianOf(x, xCount, dim), gaussianOf(y, yCount, dim));
}
