/**
 * SIMD inner products for the exact top-k (docs/design.md §3 step 3): a store allocated here lives in its own
 * WebAssembly memory, and a 128-bit SIMD kernel scores any list of its rows against a query (float32 products,
 * accumulated in four float32x4 lanes per 16 values, summed per row). The selection itself (ties by the lower row,
 * non-finite below finite) stays in exact-top-k.ts, the same for every kernel.
 *
 * Why WebAssembly: the scalar JavaScript loop scores about 0.5 G multiply-adds/s; the scored rows are the Poisson
 * subsample's, so they are scattered across the store and a native library would first need them gathered (a copy
 * as large as the work). A store in WebAssembly memory is scored in place. Stores the kernel cannot hold (a dimension
 * that is not a multiple of 16, more than 4 GiB, no SIMD in this runtime) are plain Float32Arrays and take the scalar
 * path.
 *
 * The module is assembled below from its WebAssembly text, instruction by instruction (no toolchain needed):
 *
 *   (func (export "scores") (param $data i32) (param $dim i32) (param $rows i32) (param $n i32) (param $query i32) (param $out i32)
 *     (local $i i32) (local $base i32) (local $j i32) (local $end i32) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
 *     (local.set $end (i32.shl (local.get $dim) (i32.const 2)))
 *     (block $done (loop $row
 *       (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
 *       (local.set $base (i32.add (local.get $data) (i32.shl (i32.mul (i32.load (i32.add (local.get $rows) (i32.shl (local.get $i) (i32.const 2)))) (local.get $dim)) (i32.const 2))))
 *       a0..a3 := 0; j := 0
 *       (block $inner_done (loop $inner
 *         (br_if $inner_done (i32.ge_u (local.get $j) (local.get $end)))
 *         a_m += v128.load(base + j + 16m) * v128.load(query + j + 16m)   for m = 0..3
 *         (local.set $j (i32.add (local.get $j) (i32.const 64))) (br $inner)))
 *       a0 := a0 + a1 + a2 + a3
 *       (f32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2))) (lane0 + lane1 + lane2 + lane3 of a0))
 *       (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $row))))
 */
import type { EmbeddingMatrix } from './embedding-matrix.ts';

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
  i32Load: [0x28, 0x02, 0x00],
  f32Store: [0x38, 0x02, 0x00],
  i32GeU: [0x4f],
  i32Add: [0x6a],
  i32Mul: [0x6c],
  i32Shl: [0x74],
  f32Add: [0x92],
  v128Load: (offset: number) => [0xfd, ...uleb(0x00), 0x04, ...uleb(offset)],
  v128Zero: [0xfd, ...uleb(0x0c), ...new Array<number>(16).fill(0)],
  f32x4Add: [0xfd, ...uleb(0xe4)],
  f32x4Mul: [0xfd, ...uleb(0xe6)],
  lane: (lane: number) => [0xfd, ...uleb(0x1f), lane],
};

function scoresModule(): Uint8Array {
  const [data, dim, rows, n, query, out, i, base, j, end, a0] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const shl2 = [...op.i32(2), ...op.i32Shl];
  const accumulate = (m: number) => [
    ...op.get(a0 + m),
    ...op.get(base), ...op.get(j), ...op.i32Add, ...op.v128Load(16 * m),
    ...op.get(query), ...op.get(j), ...op.i32Add, ...op.v128Load(16 * m),
    ...op.f32x4Mul, ...op.f32x4Add, ...op.set(a0 + m),
  ];
  const body = [
    ...op.get(dim), ...shl2, ...op.set(end),
    ...op.block, ...op.loop,
    ...op.get(i), ...op.get(n), ...op.i32GeU, ...op.brIf(1),
    ...op.get(data), ...op.get(rows), ...op.get(i), ...shl2, ...op.i32Add, ...op.i32Load, ...op.get(dim), ...op.i32Mul, ...shl2, ...op.i32Add, ...op.set(base),
    ...[0, 1, 2, 3].flatMap((m) => [...op.v128Zero, ...op.set(a0 + m)]),
    ...op.i32(0), ...op.set(j),
    ...op.block, ...op.loop,
    ...op.get(j), ...op.get(end), ...op.i32GeU, ...op.brIf(1),
    ...[0, 1, 2, 3].flatMap(accumulate),
    ...op.get(j), ...op.i32(64), ...op.i32Add, ...op.set(j), ...op.br(0),
    ...op.end, ...op.end,
    ...op.get(a0), ...op.get(a0 + 1), ...op.f32x4Add, ...op.get(a0 + 2), ...op.f32x4Add, ...op.get(a0 + 3), ...op.f32x4Add, ...op.set(a0),
    ...op.get(out), ...op.get(i), ...shl2, ...op.i32Add,
    ...op.get(a0), ...op.lane(0), ...op.get(a0), ...op.lane(1), ...op.f32Add, ...op.get(a0), ...op.lane(2), ...op.f32Add, ...op.get(a0), ...op.lane(3), ...op.f32Add,
    ...op.f32Store,
    ...op.get(i), ...op.i32(1), ...op.i32Add, ...op.set(i), ...op.br(0),
    ...op.end, ...op.end,
    ...op.end,
  ];
  const locals = vec([[...uleb(4), I32], [...uleb(4), V128]]);
  const code = [...locals, ...body];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec(new Array(6).fill([I32])), ...vec([])]])),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, ...uleb(1)]])),
    ...section(3, vec([uleb(0)])),
    ...section(7, vec([[...name('scores'), 0x00, ...uleb(0)]])),
    ...section(10, vec([[...uleb(code.length), ...code]])),
  ]);
}

// ── stores in WebAssembly memory ────────────────────────────────────────────────────────────────────────────

/** The part of the WebAssembly API used here (the Node tsconfig carries no DOM or WebAssembly library types). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum: number }) => { readonly buffer: ArrayBuffer };
}
const wasmApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

interface Kernel {
  readonly scores: (data: number, dim: number, rows: number, n: number, query: number, out: number) => void;
  readonly queryView: Float32Array;
  readonly rowsView: Uint32Array;
  readonly scoresView: Float32Array;
  readonly offsets: { readonly query: number; readonly rows: number; readonly scores: number };
}

let compiled: object | null | undefined;
function module(): object | null {
  if (compiled === undefined) {
    const bytes = scoresModule();
    compiled = wasmApi && wasmApi.validate(bytes) ? new wasmApi.Module(bytes) : null;
  }
  return compiled;
}

const kernels = new WeakMap<Float32Array, Kernel>();
const align = (bytes: number) => Math.ceil(bytes / ALIGN) * ALIGN;

/** Whether this runtime runs the SIMD kernel (false: every store takes the scalar path). */
export function simdAvailable(): boolean {
  return module() !== null;
}

/**
 * A zeroed store of `rows` × `dim` float32 values for the private path: in its own WebAssembly memory when the
 * kernel can score it, else a plain Float32Array. Fill `data` in place.
 */
export function allocateEmbeddingMatrix(rows: number, dim: number): EmbeddingMatrix {
  const plain = (): EmbeddingMatrix => ({ data: new Float32Array(rows * dim), rows, dim });
  const wasm = module();
  if (!wasm || !wasmApi || rows === 0 || dim % 16 !== 0) return plain();
  const dataBytes = align(rows * dim * 4);
  const offsets = { query: dataBytes, rows: dataBytes + align(dim * 4), scores: dataBytes + align(dim * 4) + align(rows * 4) };
  const total = offsets.scores + align(rows * 4);
  if (total > MAX_BYTES) return plain();
  let memory: { readonly buffer: ArrayBuffer };
  try {
    memory = new wasmApi.Memory({ initial: Math.ceil(total / PAGE), maximum: Math.ceil(total / PAGE) });
  } catch {
    return plain(); // the runtime would not reserve that much: the scalar path still works
  }
  const instance = new wasmApi.Instance(wasm, { env: { memory } });
  const buffer = memory.buffer;
  const data = new Float32Array(buffer, 0, rows * dim);
  kernels.set(data, {
    scores: instance.exports.scores as Kernel['scores'],
    queryView: new Float32Array(buffer, offsets.query, dim),
    rowsView: new Uint32Array(buffer, offsets.rows, rows),
    scoresView: new Float32Array(buffer, offsets.scores, rows),
    offsets,
  });
  return { data, rows, dim };
}

/**
 * The inner products of `query` with each listed row, by the SIMD kernel; undefined when the store was not
 * allocated by allocateEmbeddingMatrix (the caller scores it with the scalar loop). The returned view is
 * overwritten by the next call on the same store.
 */
export function simdScores(matrix: EmbeddingMatrix, query: Float64Array, rows: ArrayLike<number>): Float32Array | undefined {
  const kernel = kernels.get(matrix.data);
  if (!kernel || rows.length > kernel.rowsView.length) return undefined;
  kernel.queryView.set(query);
  kernel.rowsView.set(rows);
  kernel.scores(0, matrix.dim, kernel.offsets.rows, rows.length, kernel.offsets.query, kernel.offsets.scores);
  return kernel.scoresView.subarray(0, rows.length);
}
