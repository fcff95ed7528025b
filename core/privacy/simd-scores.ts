/**
 * SIMD inner products for the exact top-k (docs/design.md §3 step 3): an arena is one WebAssembly memory holding
 * rows (a whole resident store, or the gather buffer of a store read by range) and the kernel's buffers, and a
 * 128-bit SIMD kernel scores any list of its rows against a query (float32 products, accumulated in four float32x4
 * lanes per 16 values, summed per row; float16 rows are widened to float32 exactly first). The selection itself
 * (ties by the lower row, non-finite below finite) stays in exact-top-k.ts, the same for every kernel.
 *
 * Why WebAssembly: the scalar JavaScript loop scores about 0.5 G multiply-adds/s; the scored rows are the Poisson
 * subsample's, so they are scattered across the store and a native library would first need them gathered (a copy
 * as large as the work). A store in WebAssembly memory is scored in place. Where the kernel cannot serve (a
 * dimension that is not a multiple of 16, more than 4 GiB, no SIMD in this runtime) stores are plain typed arrays
 * and take the scalar path (resident-store.ts). The memory is shared, so a long row list is scored in parts on
 * helper threads as well (scoring-pool.ts), with bit-for-bit the same scores.
 *
 * The module is assembled below from its WebAssembly text, instruction by instruction (no toolchain needed). In
 * outline (float32; the float16 kernels differ where a row's values are loaded and in how ∞ and NaN are kept, see
 * scoresModule):
 *
 *   (func (export "scores") (param $data $dim $rows $n $query $out i32)
 *     for i = 0, R, 2R, … < n:                      ;; R = ROWS_PER_PASS rows at once; the last group is padded
 *       base_r = data + rows[i + r]·dim·4           ;;   with the last row (scores past n are not returned)
 *       acc_r = 0
 *       for j = 0, 64, … < dim·4:                   ;; 16 values per pass
 *         q_m = v128.load(query + j + 16m)
 *         acc_r += v128.load(base_r + j + 16m) · q_m     for m = 0..3, r = 0..R−1
 *       out[i + r] = Σ lanes of acc_r
 */
import type { StorePrecision } from './embedding-matrix.ts';
import { scoringPool, type KernelCall } from './scoring-pool.ts';

const PAGE = 65536;
const MAX_BYTES = 65536 * PAGE - PAGE; // wasm32: under 4 GiB
const ALIGN = 64;

// ── a tiny assembler ─────────────────────────────────────────────────────────────────────────────────────────

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const name = (s: string): number[] => [...uleb(s.length), ...Buffer.from(s, 'utf8')];

const I32 = 0x7f;
const V128 = 0x7b;
const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  get: (local: number) => [0x20, ...uleb(local)],
  set: (local: number) => [0x21, ...uleb(local)],
  i32: (value: number) => [0x41, ...sleb(value)],
  i32LoadAt: (offset: number) => [0x28, 0x02, ...uleb(offset)],
  f32StoreAt: (offset: number) => [0x38, 0x02, ...uleb(offset)],
  i32GeU: [0x4f],
  i32Add: [0x6a],
  i32Mul: [0x6c],
  i32Shl: [0x74],
  f32Add: [0x92],
  i32ShrU: [0x76],
  v128Load: (offset: number) => [0xfd, ...uleb(0x00), 0x04, ...uleb(offset)],
  v128Load16x4U: (offset: number) => [0xfd, ...uleb(0x04), 0x03, ...uleb(offset)],
  v128I32Splat: (value: number) => [0xfd, ...uleb(0x0c), ...Array.from({ length: 4 }, () => [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff]).flat()],
  v128And: [0xfd, ...uleb(0x4e)],
  v128Or: [0xfd, ...uleb(0x50)],
  i32x4Eq: [0xfd, ...uleb(0x37)],
  i32x4Shl: [0xfd, ...uleb(0xab)],
  i32x4ShrS: [0xfd, ...uleb(0xac)],
  v128Zero: [0xfd, ...uleb(0x0c), ...new Array<number>(16).fill(0)],
  f32x4Add: [0xfd, ...uleb(0xe4)],
  f32x4Mul: [0xfd, ...uleb(0xe6)],
  lane: (lane: number) => [0xfd, ...uleb(0x1f), lane],
  if: [0x04, 0x40],
  else: [0x05],
  f32NaN: [0x43, 0x00, 0x00, 0xc0, 0x7f],
  v128AnyTrue: [0xfd, ...uleb(0x53)],
  i16x8GeU: [0xfd, ...uleb(0x36)],
  i16x8MaxU: [0xfd, ...uleb(0x99)],
  i32x4ExtendLowI16x8S: [0xfd, ...uleb(0xa7)],
  i32x4ExtendHighI16x8S: [0xfd, ...uleb(0xa8)],
};

/**
 * Rows scored per pass: their loads are in flight together and each query load serves all of them. The subsample's
 * rows are scattered, so a pass waits on memory more than on arithmetic: 16 rows at once (one add chain each, so
 * also 16 independent chains) scored a cold 1 M × 512 subsample in 0.85 ms against 1.14 ms with 4 rows and two
 * chains each, on this project's 2-core machine.
 */
export const ROWS_PER_PASS = 16;

/** 2^112: a binary16 pattern shifted into a float32's place is its value times 2^-112. */
const HALF_SCALE = 2 ** 112;
/**
 * The largest query coordinate the fast float16 kernel takes: it reads the query pre-scaled by 2^112, which must stay
 * finite (a unit query's coordinates are at most 1).
 */
const FAST_HALF_QUERY_LIMIT = 2 ** 15;

/**
 * The scoring module for one precision. Each function has the signature (data, dim, rows, n, query, out) and
 * writes out[i] = Σ_j row(rows[i])_j · query_j, products and sums in float32, in the same order in every variant.
 *
 * float32 rows are read four values per v128.load (export `scores`).
 *
 * float16 rows have two kernels whose scores are bit-for-bit the same wherever both apply:
 * - `scoresExact` reads four patterns per v128.load16x4_u and widens them to float32 exactly (fraction and exponent
 *   shifted into place and scaled by 2^112, which keeps the sign and gets subnormals right; exponent 31 set to all
 *   ones, so ∞ and NaN stay what they are);
 * - `scores` reads eight patterns per v128.load, shifts them into place the same way and leaves the 2^112 to the
 *   query, which the caller scales (a power of two: each product is the same real number, so it rounds the same).
 *   It does not rebuild ∞ and NaN: it tracks the largest |pattern| of each pass of ROWS_PER_PASS rows and, where
 *   one has exponent 31, writes NaN for the whole pass (finite rows never score NaN here), which the caller scores
 *   again with `scoresExact`.
 */
function scoresModule(precision: StorePrecision): Uint8Array {
  const bodies = precision === 'float16' ? [fastHalfBody(), scoresBody('float16')] : [scoresBody('float32')];
  const names = precision === 'float16' ? ['scores', 'scoresExact'] : ['scores'];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec(new Array(6).fill([I32])), ...vec([])]])),
    // memory import: shared (flag 3: shared, with a maximum), 1 to 65,536 pages, so helper threads score in it too
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x03, ...uleb(1), ...uleb(65536)]])),
    ...section(3, vec(bodies.map(() => uleb(0)))),
    ...section(7, vec(names.map((n, f) => [...name(n), 0x00, ...uleb(f)]))),
    ...section(10, vec(bodies.map((code) => [...uleb(code.length), ...code]))),
  ]);
}

// parameters 0–5 and the loop's i32 locals, shared by every kernel
const [DATA, DIM, ROWS, N, QUERY, OUT, I, J, END] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
const shl = (bits: number) => [...op.i32(bits), ...op.i32Shl];
const shl2 = shl(2);

/** The loop over passes of ROWS_PER_PASS rows and, in each, over the row's bytes (`step` query bytes at a time). */
function passes(o: { halfRows: boolean; bases: (r: number) => number; start: number[]; block: number[]; step: number; finish: number[] }): number[] {
  const rowBase = (r: number) => [
    ...op.get(DATA), ...op.get(ROWS), ...op.get(I), ...shl2, ...op.i32Add, ...op.i32LoadAt(4 * r), ...op.get(DIM), ...op.i32Mul, ...shl(o.halfRows ? 1 : 2), ...op.i32Add, ...op.set(o.bases(r)),
  ];
  return [
    ...op.get(DIM), ...shl2, ...op.set(END),
    ...op.block, ...op.loop,
    ...op.get(I), ...op.get(N), ...op.i32GeU, ...op.brIf(1),
    ...Array.from({ length: ROWS_PER_PASS }, (_, r) => r).flatMap(rowBase),
    ...o.start,
    ...op.i32(0), ...op.set(J),
    ...op.block, ...op.loop,
    ...op.get(J), ...op.get(END), ...op.i32GeU, ...op.brIf(1),
    ...o.block,
    ...op.get(J), ...op.i32(o.step), ...op.i32Add, ...op.set(J), ...op.br(0),
    ...op.end, ...op.end,
    ...o.finish,
    ...op.get(I), ...op.i32(ROWS_PER_PASS), ...op.i32Add, ...op.set(I), ...op.br(0),
    ...op.end, ...op.end,
  ];
}

/** out[i + r] = Σ lanes of acc_r. */
const horizontal = (acc: (r: number) => number) => (r: number) => [
  ...op.get(OUT), ...op.get(I), ...shl2, ...op.i32Add,
  ...op.get(acc(r)), ...op.lane(0), ...op.get(acc(r)), ...op.lane(1), ...op.f32Add, ...op.get(acc(r)), ...op.lane(2), ...op.f32Add, ...op.get(acc(r)), ...op.lane(3), ...op.f32Add,
  ...op.f32StoreAt(4 * r),
];

/** The float32 kernel, or float16's `scoresExact` (module comment). */
function scoresBody(precision: StorePrecision): number[] {
  const R = ROWS_PER_PASS;
  // i32 locals: i, j, end, base_0 … base_{R−1}; v128 locals: acc_0 … acc_{R−1}, h, q, c0 … c3
  const base = (r: number) => 9 + r;
  const acc = (r: number) => 9 + R + r;
  const h = 9 + R + R;
  const qv = h + 1;
  const c = qv + 1;
  const half = precision === 'float16';
  // float16 decoding constants, kept in locals c+0 … c+3
  const constants = [0x8fffe000, 0x77800000, 0x00007c00, 0x7f800000];
  // (h << 16) >>s 3 puts the sign at bit 31 and exponent + fraction at bits 13–27; the mask clears the sign copies
  const decoded = [
    ...op.get(h), ...op.i32(16), ...op.i32x4Shl, ...op.i32(3), ...op.i32x4ShrS, ...op.get(c), ...op.v128And, ...op.get(c + 1), ...op.f32x4Mul,
    ...op.get(h), ...op.get(c + 2), ...op.v128And, ...op.get(c + 2), ...op.i32x4Eq, ...op.get(c + 3), ...op.v128And, ...op.v128Or,
  ];
  const rowValues = (r: number, m: number) =>
    half
      ? [...op.get(base(r)), ...op.get(J), ...op.i32(1), ...op.i32ShrU, ...op.i32Add, ...op.v128Load16x4U(8 * m), ...op.set(h), ...decoded]
      : [...op.get(base(r)), ...op.get(J), ...op.i32Add, ...op.v128Load(16 * m)];
  const ranks = Array.from({ length: R }, (_, r) => r);
  const accumulate = (m: number) => [
    ...op.get(QUERY), ...op.get(J), ...op.i32Add, ...op.v128Load(16 * m), ...op.set(qv),
    ...ranks.flatMap((r) => [...op.get(acc(r)), ...rowValues(r, m), ...op.get(qv), ...op.f32x4Mul, ...op.f32x4Add, ...op.set(acc(r))]),
  ];
  const body = [
    ...(half ? constants.flatMap((value, m) => [...op.v128I32Splat(value), ...op.set(c + m)]) : []),
    ...passes({
      halfRows: half,
      bases: base,
      start: ranks.flatMap((r) => [...op.v128Zero, ...op.set(acc(r))]),
      block: [0, 1, 2, 3].flatMap(accumulate),
      step: 64,
      finish: ranks.flatMap(horizontal(acc)),
    }),
    ...op.end,
  ];
  return [...vec([[...uleb(3 + R), I32], [...uleb(R + 6), V128]]), ...body];
}

/** float16's fast `scores` (module comment): the query comes scaled by 2^112. */
function fastHalfBody(): number[] {
  const R = ROWS_PER_PASS;
  // i32 locals: i, j, end, base_0 … base_{R−1}; v128 locals: acc_0 … acc_{R−1}, h, qa, qb, mask, magnitude, most, limit
  const base = (r: number) => 9 + r;
  const acc = (r: number) => 9 + R + r;
  const h = 9 + R + R;
  const [qa, qb, mask, magnitude, most, limit] = [h + 1, h + 2, h + 3, h + 4, h + 5, h + 6];
  const ranks = Array.from({ length: R }, (_, r) => r);
  // the sign-extended pattern << 13 puts the sign at bit 31 and exponent + fraction at bits 13–27; mask the copies
  const widened = (extend: number[]) => [...op.get(h), ...extend, ...op.i32(13), ...op.i32x4Shl, ...op.get(mask), ...op.v128And];
  // 16 values of each row per block: patterns 0–7 and 8–15 in two loads, each against two query vectors
  const pair = (p: number) => [
    ...op.get(QUERY), ...op.get(J), ...op.i32Add, ...op.v128Load(32 * p), ...op.set(qa),
    ...op.get(QUERY), ...op.get(J), ...op.i32Add, ...op.v128Load(32 * p + 16), ...op.set(qb),
    ...ranks.flatMap((r) => [
      ...op.get(base(r)), ...op.get(J), ...op.i32(1), ...op.i32ShrU, ...op.i32Add, ...op.v128Load(16 * p), ...op.set(h),
      ...op.get(most), ...op.get(h), ...op.get(magnitude), ...op.v128And, ...op.i16x8MaxU, ...op.set(most),
      ...op.get(acc(r)), ...widened(op.i32x4ExtendLowI16x8S), ...op.get(qa), ...op.f32x4Mul, ...op.f32x4Add,
      ...widened(op.i32x4ExtendHighI16x8S), ...op.get(qb), ...op.f32x4Mul, ...op.f32x4Add, ...op.set(acc(r)),
    ]),
  ];
  const flagged = [...op.get(most), ...op.get(limit), ...op.i16x8GeU, ...op.v128AnyTrue];
  const nan = (r: number) => [...op.get(OUT), ...op.get(I), ...shl2, ...op.i32Add, ...op.f32NaN, ...op.f32StoreAt(4 * r)];
  const body = [
    ...op.v128I32Splat(0x8fffe000), ...op.set(mask),
    ...op.v128I32Splat(0x7fff7fff), ...op.set(magnitude),
    ...op.v128I32Splat(0x7c007c00), ...op.set(limit),
    ...passes({
      halfRows: true,
      bases: base,
      start: [...ranks.flatMap((r) => [...op.v128Zero, ...op.set(acc(r))]), ...op.v128Zero, ...op.set(most)],
      block: [0, 1].flatMap(pair),
      step: 64,
      finish: [...flagged, ...op.if, ...ranks.flatMap(nan), ...op.else, ...ranks.flatMap(horizontal(acc)), ...op.end],
    }),
    ...op.end,
  ];
  return [...vec([[...uleb(3 + R), I32], [...uleb(R + 7), V128]]), ...body];
}

// ── arenas: a store (or a gather buffer) and the kernel's buffers in one WebAssembly memory ─────────────────

/** The part of the WebAssembly API used here (the Node tsconfig carries no DOM or WebAssembly library types). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => { readonly buffer: ArrayBuffer };
}
const wasmApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

const compiled = new Map<StorePrecision, object | null>();
function module(precision: StorePrecision): object | null {
  if (!compiled.has(precision)) {
    const bytes = scoresModule(precision);
    compiled.set(precision, wasmApi && wasmApi.validate(bytes) ? new wasmApi.Module(bytes) : null);
  }
  return compiled.get(precision)!;
}

const align = (bytes: number) => Math.ceil(bytes / ALIGN) * ALIGN;
const BYTES: Record<StorePrecision, number> = { float32: 4, float16: 2 };

/** Whether this runtime runs the SIMD kernel (false: every store takes the scalar path). */
export function simdAvailable(): boolean {
  return module('float32') !== null && module('float16') !== null;
}

/**
 * `capacity` rows of `dim` values in one precision, in WebAssembly memory next to the kernel's buffers: a whole
 * resident store, or the gather buffer of a store read by row ranges. `score` ranks rows of this region only.
 */
export interface ScoringArena {
  readonly precision: StorePrecision;
  readonly dim: number;
  readonly capacity: number;
  /** The rows' values: float32, or binary16 patterns. Fill in place. */
  readonly values: Float32Array | Uint16Array;
  /** The same region as bytes (for reading a file straight into it). */
  readonly bytes: Uint8Array;
  /**
   * The inner products of `query` with each listed row of the region (float32 products and sums); every index
   * must be an integer below `capacity` and at most `capacity` rows may be listed. The returned view is
   * overwritten by the next call.
   */
  score(query: Float64Array, rows: ArrayLike<number>): Float32Array;
}

/** An arena, or undefined where the kernel cannot serve (no SIMD here, a dimension not a multiple of 16, over 4 GiB). */
export function allocateArena(precision: StorePrecision, capacity: number, dim: number): ScoringArena | undefined {
  const wasm = module(precision);
  if (!wasm || !wasmApi || capacity < 1 || dim % 16 !== 0) return undefined;
  const dataBytes = align(capacity * dim * BYTES[precision]);
  // rows and scores have ROWS_PER_PASS − 1 spare slots: the kernel scores rows in groups
  const slots = capacity + ROWS_PER_PASS - 1;
  const offsets = { query: dataBytes, rows: dataBytes + align(dim * 4), scores: dataBytes + align(dim * 4) + align(slots * 4) };
  const total = offsets.scores + align(slots * 4);
  if (total > MAX_BYTES) return undefined;
  let memory: { readonly buffer: ArrayBuffer };
  try {
    memory = new wasmApi.Memory({ initial: Math.ceil(total / PAGE), maximum: Math.ceil(total / PAGE), shared: true });
  } catch {
    return undefined; // the runtime would not reserve that much: the scalar path still works
  }
  const kernels = new wasmApi.Instance(wasm, { env: { memory } }).exports;
  const scores = kernels.scores as (...call: KernelCall) => void;
  // float16 only: the kernel that also rebuilds ∞ and NaN, for the passes `scores` hands back (scoresModule)
  const scoresExact = kernels.scoresExact as ((...call: KernelCall) => void) | undefined;
  let slot: number | undefined; // this arena's slot in the process's scoring pool, attached on its first parallel call
  const buffer = memory.buffer;
  const queryView = new Float32Array(buffer, offsets.query, dim);
  const rowsView = new Uint32Array(buffer, offsets.rows, slots);
  const scoresView = new Float32Array(buffer, offsets.scores, slots);
  const arena: ScoringArena = {
    precision,
    dim,
    capacity,
    values: precision === 'float16' ? new Uint16Array(buffer, 0, capacity * dim) : new Float32Array(buffer, 0, capacity * dim),
    bytes: new Uint8Array(buffer, 0, capacity * dim * BYTES[precision]),
    score(query, rows) {
      if (rows.length > capacity) throw new RangeError(`at most ${capacity} rows per call`);
      for (let r = 0; r < rows.length; r++) {
        const row = rows[r]!;
        // The kernel reads rows in place: an index outside the region would read other memory.
        if (!(Number.isInteger(row) && row >= 0 && row < capacity)) throw new RangeError(`row ${row} is not in this store`);
        rowsView[r] = row;
      }
      // the last group's missing rows repeat the last row (their scores are not returned)
      for (let r = rows.length; r > 0 && r % ROWS_PER_PASS !== 0; r++) rowsView[r] = rowsView[rows.length - 1]!;
      queryView.set(query);
      const n = rows.length;
      const call = (from: number, count: number): KernelCall => [0, dim, offsets.rows + 4 * from, count, offsets.query, offsets.scores + 4 * from];
      if (scoresExact && !fastHalfQuery(queryView)) {
        scoresExact(...call(0, n));
        return scoresView.subarray(0, n);
      }
      if (scoresExact) for (let j = 0; j < dim; j++) queryView[j]! *= HALF_SCALE;
      // the pool (its threads) is started by the first call long enough to share
      const pool = n >= PARALLEL_MIN_ROWS ? scoringPool() : undefined;
      const parts = partsOf(n, (pool?.size ?? 0) + 1).map(([from, count]) => call(from, count));
      if (parts.length === 1) scores(...parts[0]!);
      else pool!.run((slot ??= pool!.attach(arena, wasm, memory)), scores, parts);
      if (scoresExact) {
        // passes written as NaN hold an ∞ or NaN pattern: score them again, whole (passes start at multiples of R)
        let unscaled = false;
        for (let from = 0; from < n; from += ROWS_PER_PASS) {
          if (!Number.isNaN(scoresView[from]!)) continue;
          if (!unscaled) queryView.set(query);
          unscaled = true;
          scoresExact(...call(from, Math.min(ROWS_PER_PASS, n - from)));
        }
      }
      return scoresView.subarray(0, n);
    },
  };
  return arena;
}

/** Whether the fast float16 kernel takes this query: every coordinate stays finite when scaled by 2^112. */
function fastHalfQuery(query: Float32Array): boolean {
  for (let j = 0; j < query.length; j++) if (!(Math.abs(query[j]!) < FAST_HALF_QUERY_LIMIT)) return false;
  return true;
}

/** Rows below which one thread scores a call alone (for short lists a helper's wake-up is a large share of the work). */
export const PARALLEL_MIN_ROWS = 2048;

/**
 * `n` rows cut into at most `threads` parts of at least PARALLEL_MIN_ROWS / 2 rows: [first row, count] each. Every
 * part but the last is a whole number of ROWS_PER_PASS groups, so no part's padded last group writes scores of
 * the next part's rows.
 */
export function partsOf(n: number, threads: number): [number, number][] {
  if (n < PARALLEL_MIN_ROWS || threads < 2) return [[0, n]];
  const count = Math.min(threads, Math.floor(n / (PARALLEL_MIN_ROWS / 2)));
  const step = Math.ceil(n / count / ROWS_PER_PASS) * ROWS_PER_PASS;
  const parts: [number, number][] = [];
  for (let from = 0; from < n; from += step) parts.push([from, Math.min(step, n - from)]);
  return parts;
}
