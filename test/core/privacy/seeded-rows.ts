/** Seeded test data for the retrieval tests: xorshift32 uniforms, unit rows and unit queries (tests only). */
export function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/** `rows` unit rows of `dim` values, row-major, into `data` (a new array by default). */
export function unitRows(rows: number, dim: number, seed: number, data: Float32Array = new Float32Array(rows * dim)): Float32Array {
  const random = xorshift(seed);
  for (let r = 0; r < rows; r++) {
    let norm = 0;
    for (let j = 0; j < dim; j++) norm += (data[r * dim + j] = random() - 0.5) ** 2;
    for (let j = 0; j < dim; j++) data[r * dim + j]! /= Math.sqrt(norm);
  }
  return data;
}

export function unitQuery(dim: number, seed: number): Float64Array {
  const random = xorshift(seed);
  const q = Float64Array.from({ length: dim }, () => random() - 0.5);
  const norm = Math.hypot(...q);
  return q.map((v) => v / norm);
}
