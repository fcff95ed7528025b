/**
 * The model worker: owns one `ModelRuntime` (all onnxruntime sessions) off the main thread and serves
 * `ModelHost` calls. Calls interleave at await points (e.g. an embedding between two sampler steps); a
 * `cancel` aborts the call's AbortSignal, which the sampler checks between steps.
 * It runs as a worker thread (plain Node: `parentPort`, init in workerData, buffers transferred) or as an Electron
 * utility process (`process.parentPort`, init as the first message, messages copied: a utility process transfers
 * only message ports).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Transferable } from 'node:worker_threads';
import { ModelAbortError } from './errors.ts';
import { type HostToWorker, type WorkerInit, type WorkerToHost, serializeError } from './model-protocol.ts';
import { ModelRuntime } from './runtime.ts';

/** Electron's utility-process side of the channel (`process.parentPort`). */
interface UtilityParentPort {
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

interface Endpoint {
  send(message: WorkerToHost, transfer?: Transferable[]): void;
  onMessage(listener: (message: HostToWorker) => void): void;
  close(): void;
}

function endpoint(): { port: Endpoint; init: Promise<WorkerInit> } {
  if (parentPort) {
    const thread = parentPort;
    return {
      port: { send: (m, transfer = []) => thread.postMessage(m, transfer), onMessage: (l) => void thread.on('message', l), close: () => thread.close() },
      init: Promise.resolve(workerData as WorkerInit),
    };
  }
  const utility = (process as { parentPort?: UtilityParentPort }).parentPort;
  if (!utility) throw new Error('model-worker must run in a worker thread or an Electron utility process (use ModelHost)');
  const listeners: ((m: HostToWorker) => void)[] = [];
  let resolveInit!: (init: WorkerInit) => void;
  const init = new Promise<WorkerInit>((resolve) => (resolveInit = resolve));
  utility.on('message', (event) => {
    const message = event.data as HostToWorker;
    if (message.type === 'init') resolveInit(message.init);
    else for (const l of listeners) l(message);
  });
  return { port: { send: (m) => utility.postMessage(m), onMessage: (l) => void listeners.push(l), close: () => process.exit(0) }, init };
}

const { port, init: initMessage } = endpoint();
const running = new Map<number, AbortController>();

function send(message: WorkerToHost, transfer: Transferable[] = []): void {
  port.send(message, transfer);
}

function buffersOf(value: unknown): Transferable[] {
  if (!value || typeof value !== 'object') return [];
  return Object.values(value).flatMap((v) => (v instanceof Float32Array && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength ? [v.buffer as ArrayBuffer] : []));
}

async function serve(runtime: ModelRuntime, message: Extract<HostToWorker, { type: 'call' }>): Promise<void> {
  const controller = new AbortController();
  running.set(message.id, controller);
  try {
    // Let a cancel that was posted right after the call arrive before any work starts.
    await new Promise((resolve) => setImmediate(resolve));
    if (controller.signal.aborted) throw new ModelAbortError();
    let value: unknown;
    switch (message.method) {
      case 'embedTexts':
        value = await runtime.embedTexts(...message.args);
        break;
      case 'embedImages':
        value = await runtime.embedImages(...message.args);
        break;
      case 'embedImageFiles':
        value = await runtime.embedImageFiles(...message.args);
        break;
      case 'generate': {
        const [request, wantProgress] = message.args;
        const onProgress = wantProgress
          ? (progress: Parameters<NonNullable<Parameters<ModelRuntime['generate']>[1]>>[0]) =>
              send({ type: 'progress', id: message.id, progress }, progress.preview ? [progress.preview.buffer as ArrayBuffer] : [])
          : undefined;
        value = await runtime.generate(request, onProgress, controller.signal);
        break;
      }
      case 'judge':
        value = await runtime.judge(...message.args);
        break;
    }
    send({ type: 'result', id: message.id, value }, buffersOf(value));
  } catch (error) {
    send({ type: 'error', id: message.id, error: serializeError(error) });
  } finally {
    running.delete(message.id);
  }
}

async function main(): Promise<void> {
  const init = await initMessage;
  let runtime: ModelRuntime;
  try {
    runtime = await ModelRuntime.load(init.dir, init.options);
  } catch (error) {
    send({ type: 'init-error', error: serializeError(error) });
    return;
  }
  port.onMessage((message: HostToWorker) => {
    if (message.type === 'call') void serve(runtime, message);
    else if (message.type === 'cancel') running.get(message.id)?.abort();
    else if (message.type === 'close') {
      for (const c of running.values()) c.abort();
      void runtime.release().finally(() => port.close());
    }
  });
  send({ type: 'ready', info: runtime.info });
}

void main();
