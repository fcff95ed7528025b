/**
 * Helper threads for the SIMD kernel (docs/design.md §3 step 3): a large row list is cut into parts and each
 * helper scores one part in the same shared WebAssembly memory while the calling thread scores the first, so a
 * private query uses every core the studio may use and stays synchronous. The parts are scored by the same kernel
 * as one call would score them (each score depends only on its own row and the query), so the scores are
 * bit-for-bit those of one thread; only where they are computed changes.
 *
 * Each helper waits on its own control words (Atomics), runs one kernel call per command and reports back by
 * clearing the command word. A helper that throws reports an error; one that does not answer within
 * HELPER_TIMEOUT_MS is terminated and the pool is given up (the query fails closed: no scores, no release).
 */
import { availableParallelism } from 'node:os';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';

/** Command words: what a helper is asked to do (0 = idle, the helper's answer). */
const IDLE = 0;
const ATTACH = 1;
const SCORE = 2;
const DETACH = 3;
const FAILED = -1;
/** Control layout: [command, arena slot, data, dim, rows, n, query, out]. */
const CONTROL_WORDS = 8;
const HELPER_TIMEOUT_MS = 60_000;
/** At most this many threads score one query (beyond it the memory bus, not the cores, sets the pace). */
const MAX_THREADS = 4;

// The helper is plain CommonJS evaluated by the worker (no file to resolve under tsx, a bundle or an Electron app).
const HELPER_SOURCE = `
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const control = new Int32Array(workerData.control);
const port = workerData.port;
const kernels = new Map();
// Only a command is ever answered (overwritten): an idle or failed word is left for the caller to clear.
let left = ${IDLE};
for (;;) {
  Atomics.wait(control, 0, left);
  const command = Atomics.load(control, 0);
  if (command !== ${ATTACH} && command !== ${SCORE} && command !== ${DETACH}) {
    left = command;
    continue;
  }
  let answer = ${IDLE};
  try {
    if (command === ${ATTACH}) {
      const { module, memory } = receiveMessageOnPort(port).message;
      kernels.set(control[1], new WebAssembly.Instance(module, { env: { memory } }).exports.scores);
    } else if (command === ${SCORE}) {
      kernels.get(control[1])(control[2], control[3], control[4], control[5], control[6], control[7]);
    } else {
      kernels.delete(control[1]);
    }
  } catch {
    answer = ${FAILED};
  }
  left = answer;
  Atomics.store(control, 0, answer);
  Atomics.notify(control, 0);
}
`;

/** The kernel's arguments for one part: (data, dim, rows, n, query, out) as byte offsets and counts. */
export type KernelCall = readonly [data: number, dim: number, rows: number, n: number, query: number, out: number];

interface Helper {
  readonly worker: Worker;
  readonly control: Int32Array;
  readonly port: MessagePort;
}

/** The threads that score one query: this one and `helpers.length` helpers. */
export function scoringThreads(): number {
  return Math.max(1, Math.min(MAX_THREADS, availableParallelism()));
}

export class ScoringPool {
  private readonly helpers: Helper[] = [];
  private nextSlot = 1;
  private broken = false;
  private blockingWait = true;
  /** Arenas no longer reachable: their slots are detached from every helper (which then frees their memory). */
  private readonly released = new FinalizationRegistry<number>((slot) => this.detach(slot));

  constructor(helperCount: number) {
    for (let h = 0; h < helperCount; h++) {
      const control = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
      const { port1, port2 } = new MessageChannel();
      // No inherited Node flags: the helper is a plain CommonJS script (an inherited --input-type=module would not run it).
      const worker = new Worker(HELPER_SOURCE, { eval: true, execArgv: [], workerData: { control: control.buffer, port: port2 }, transferList: [port2] });
      worker.unref();
      // A helper that could not start or has ended takes no more parts: queries score on this thread from then on.
      worker.on('error', () => (this.broken = true));
      worker.on('exit', () => (this.broken = true));
      port1.unref();
      this.helpers.push({ worker, control, port: port1 });
    }
  }

  /** Helpers that can take a part now (0 once the pool has been given up). */
  get size(): number {
    return this.broken ? 0 : this.helpers.length;
  }

  /** Makes `memory` (shared) and its kernel known to every helper; the slot is detached when `owner` is collected. */
  attach(owner: object, module: object, memory: object): number {
    const slot = this.nextSlot++;
    for (const helper of this.helpers) {
      helper.port.postMessage({ module, memory });
      this.command(helper, ATTACH, [slot]);
    }
    this.awaitAll(this.helpers);
    this.released.register(owner, slot);
    return slot;
  }

  /**
   * Runs `parts[0]` with `kernel` on this thread and part h + 1 on helper h, all at once; returns when every part
   * is done. At most `size + 1` parts.
   */
  run(slot: number, kernel: (...call: KernelCall) => void, parts: readonly KernelCall[]): void {
    if (parts.length > this.size + 1) throw new RangeError(`at most ${this.size + 1} parts`);
    const busy = parts.slice(1).map((call, h) => {
      const helper = this.helpers[h]!;
      this.command(helper, SCORE, [slot, ...call]);
      return helper;
    });
    let failure: unknown;
    try {
      kernel(...parts[0]!);
    } catch (error) {
      failure = error;
    }
    this.awaitAll(busy, failure);
  }

  /** Waits for every one of `helpers` before anything is thrown: none may still be working when the caller moves on. */
  private awaitAll(helpers: readonly Helper[], failure?: unknown): void {
    for (const helper of helpers) {
      try {
        this.await(helper);
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
  }

  private detach(slot: number): void {
    if (this.broken) return;
    for (const helper of this.helpers) this.command(helper, DETACH, [slot]);
    try {
      this.awaitAll(this.helpers);
    } catch {
      // called from a finalizer, where a throw would end the process; a helper that does not answer has given up the pool
    }
  }

  private command(helper: Helper, command: number, args: readonly number[]): void {
    args.forEach((value, i) => (helper.control[1 + i] = value));
    Atomics.store(helper.control, 0, command);
    Atomics.notify(helper.control, 0);
  }

  private await(helper: Helper): void {
    const deadline = Date.now() + HELPER_TIMEOUT_MS;
    for (;;) {
      const state = Atomics.load(helper.control, 0);
      if (state === IDLE) return;
      if (state === FAILED) {
        Atomics.store(helper.control, 0, IDLE);
        throw new Error('a scoring helper failed');
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        this.broken = true;
        for (const h of this.helpers) void h.worker.terminate();
        throw new Error('a scoring helper did not answer; queries now score on one thread');
      }
      if (this.blockingWait) {
        try {
          Atomics.wait(helper.control, 0, state, left);
        } catch {
          this.blockingWait = false; // a thread that may not block (a browser-like main thread): poll instead
        }
      }
    }
  }
}

let shared: ScoringPool | undefined;

/** The process's pool: one helper per further core the studio may use (none on one core). */
export function scoringPool(): ScoringPool {
  shared ??= new ScoringPool(scoringThreads() - 1);
  return shared;
}
