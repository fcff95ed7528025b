import { describe, expect, it } from 'vitest';
import { frechetDistance, frechetDistanceOf, gaussianOf, sqrtPsd, symmetricEigen, type Gaussian } from '../../../core/evaluation/frechet.ts';
import { SeededStream } from '../../../core/evaluation/random.ts';

function gaussian(mean: number[], cov: number[][]): Gaussian {
  const n = mean.length;
  return { dim: n, mean: Float64Array.from(mean), cov: Float64Array.from(cov.flat()) };
}
const diag = (d: number[]) => d.map((v, i) => d.map((_, j) => (i === j ? v : 0)));

function randomSpd(n: number, seed: number): number[][] {
  const s = new SeededStream('test-spd', seed);
  const a = Array.from({ length: n }, () => Array.from({ length: n }, () => s.uniform() * 2 - 1));
  return a.map((_, i) => a.map((__, j) => a[i]!.reduce((acc, v, k) => acc + v * a[j]![k]!, 0) + (i === j ? 0.1 : 0)));
}

describe('Fréchet distance', () => {
  it('is 0 for identical Gaussians (full covariance)', () => {
    const cov = randomSpd(12, 1);
    const g = gaussian(Array.from({ length: 12 }, (_, i) => i / 7), cov);
    expect(frechetDistance(g, g)).toBeLessThan(1e-9);
  });

  it('is the squared distance of the means when the covariances are equal', () => {
    const cov = randomSpd(8, 2);
    const a = gaussian([0, 0, 0, 0, 0, 0, 0, 0], cov);
    const b = gaussian([1, 2, 0, 0, 0, 0, 0, -2], cov);
    expect(frechetDistance(a, b)).toBeCloseTo(9, 8);
  });

  it('matches the closed form for diagonal covariances: Σ(√aᵢ − √bᵢ)² + ‖Δμ‖²', () => {
    const da = [1, 4, 9, 0.25, 2];
    const db = [4, 1, 1, 1, 0.5];
    const expected = da.reduce((s, v, i) => s + (Math.sqrt(v) - Math.sqrt(db[i]!)) ** 2, 0) + 0.5 ** 2;
    expect(frechetDistance(gaussian([0, 0, 0, 0, 0], diag(da)), gaussian([0.5, 0, 0, 0, 0], diag(db)))).toBeCloseTo(expected, 10);
  });

  it('is symmetric and matches the 1-D closed form (σ₁ − σ₂)² + (μ₁ − μ₂)²', () => {
    const a = gaussian([1], [[4]]);
    const b = gaussian([3], [[9]]);
    expect(frechetDistance(a, b)).toBeCloseTo(1 + 4, 12);
    const x = gaussian([0, 1, 2], randomSpd(3, 3));
    const y = gaussian([1, 1, 0], randomSpd(3, 4));
    expect(frechetDistance(x, y)).toBeCloseTo(frechetDistance(y, x), 9);
  });

  it('matches a rotated (non-commuting) pair against the commuting closed form after a shared rotation', () => {
    // Rotating both Gaussians by the same orthogonal matrix leaves FD unchanged.
    const c = Math.cos(0.7);
    const s = Math.sin(0.7);
    const R = [
      [c, -s],
      [s, c],
    ];
    const rot = (m: number[][]) => R.map((ri) => R.map((rj) => ri.reduce((acc, _, k) => acc + ri[k]! * m[k]!.reduce((a2, v, l) => a2 + v * rj[l]!, 0), 0)));
    const A = diag([2, 0.5]);
    const B = [
      [1, 0.6],
      [0.6, 1.5],
    ];
    const plain = frechetDistance(gaussian([0, 0], A), gaussian([0, 0], B));
    expect(frechetDistance(gaussian([0, 0], rot(A)), gaussian([0, 0], rot(B)))).toBeCloseTo(plain, 10);
  });

  it('takes a symmetric square root whose square is the matrix, and eigenvectors that reconstruct it', () => {
    const n = 10;
    const m = randomSpd(n, 5).flat();
    const root = sqrtPsd(m, n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let v = 0;
        for (let k = 0; k < n; k++) v += root[i * n + k]! * root[k * n + j]!;
        expect(v).toBeCloseTo(m[i * n + j]!, 9);
        expect(root[i * n + j]).toBeCloseTo(root[j * n + i]!, 12);
      }
    }
    const { values, vectors } = symmetricEigen(m, n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let v = 0;
      for (let k = 0; k < n; k++) v += vectors[i * n + k]! * values[k]! * vectors[j * n + k]!;
      expect(v).toBeCloseTo(m[i * n + j]!, 9);
    }
  });

  it('computes sample statistics like numpy (unbiased covariance) and gives 0 for the same samples', () => {
    const x = Float32Array.from([1, 2, 3, 4, 5, 7]);
    const g = gaussianOf(x, 3, 2);
    expect(Array.from(g.mean)).toEqual([3, 13 / 3]);
    expect(g.cov[0]).toBeCloseTo(4, 12);
    expect(g.cov[1]).toBeCloseTo(5, 12);
    expect(g.cov[3]).toBeCloseTo(6.333333333333, 9);
    expect(frechetDistanceOf(x, 3, x, 3, 2)).toBeLessThan(1e-9);
    expect(() => gaussianOf(x, 1, 2)).toThrow(/at least 2/);
  });
});
