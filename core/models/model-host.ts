/**
 * `ModelHost`: the model set behind a worker (models are heavy and synchronous). One worker owns the sessions;
 * every method returns a promise, generation reports per-step progress (with optional x0 previews) and stops on an
 * AbortSignal. The worker is a thread in plain Node (it does not keep the process alive while idle) or, inside
 * Electron, a utility process with a V8 heap of its own (electron/model-process.ts): both behind `ModelChannel`.
 */
import { startWorkerThread, workerEntry, type WorkerEntry } from '../worker-entry.ts';
import type { EmbeddingBatch, TextEmbeddingBatch } from './encoders.ts';
import { ImageDecodeError, ModelAbortError, ModelSetError, type ModelSetErrorCode } from './errors.ts';
import type { HostToWorker, SerializedError, WorkerCall, WorkerInit, WorkerToHost } from './model-protocol.ts';
import type { ImageToTensorOptions } from './preprocess.ts';
import type { GenerateProgress, GenerateRequest, GeneratedImages, JudgeLogits, ModelRuntimeOptions, ModelSetInfo } from './runtime.ts';

export interface CallOptions {
  signal?: AbortSignal;
}

export interface GenerateCallOptions extends CallOptions {
  onProgress?: (progress: GenerateProgress) => void;
}

export type ImageFilesEmbedding = EmbeddingBatch & { failures: { index: number; message: string }[]; ok: number[] };

/** The interface the studio codes against (a test may substitute a fake). */
export interface ModelService {
  readonly info: ModelSetInfo;
  embedTexts(texts: readonly string[], options?: CallOptions): Promise<TextEmbeddingBatch>;
  embedImages(tensors: readonly Float32Array[] | Float32Array, options?: CallOptions): Promise<EmbeddingBatch>;
  embedImageFiles(inputs: readonly (string | Buffer)[], options?: ImageToTensorOptions & CallOptions): Promise<ImageFilesEmbedding>;
  generate(request: GenerateRequest, options?: GenerateCallOptions): Promise<GeneratedImages>;
  /** Judge logits for images [n,3,S,S] in [-1,1] (evaluation only; the host must be started with judge: true). */
  judge?(images: Float32Array, count: number, options?: CallOptions): Promise<JudgeLogits>;
  close(): Promise<void>;
}

function reviveError(e: SerializedError): Error {
  if (e.name === 'ModelSetError') return new ModelSetError(e.code as ModelSetErrorCode, e.message, e.file);
  if (e.name === 'ImageDecodeError') return new ImageDecodeError(e.message);
  if (e.name === 'AbortError' || e.code === 'ABORTED') return new ModelAbortError(e.message);
  const error = e.name === 'RangeError' ? new RangeError(e.message) : e.name === 'TypeError' ? new TypeError(e.message) : new Error(e.message);
  if (e.code) Object.assign(error, { code: e.code });
  return error;
}

/** The thread or process a model host talks to. */
export interface ModelChannel {
  post(message: HostToWorker): void;
  onMessage(listener: (message: WorkerToHost) => void): () => void;
  /** Called once when the worker dies (a crash, an exit). */
  onExit(listener: (reason: string) => void): () => void;
  terminate(): Promise<void>;
  /** Whether the worker may keep the process alive (while calls are pending). */
  keepAlive?(on: boolean): void;
}

/** Starts a worker for `init` (the model set's folder and runtime options). */
export type ModelChannelSpawn = (init: WorkerInit) => ModelChannel;

/** The model worker's entry point (core/worker-entry.ts). */
export function modelWorkerEntry(): WorkerEntry {
  return workerEntry('models/model-worker');
}

/** A worker thread (plain Node). */
export const workerThreadChannel: ModelChannelSpawn = (init) => {
  const worker = startWorkerThread(modelWorkerEntry(), init);
  worker.unref();
  return {
    post: (message) => worker.postMessage(message),
    onMessage(listener) {
      worker.on('message', listener);
      return () => void worker.off('message', listener);
    },
    onExit(listener) {
      const onError = (error: Error) => listener(`crashed: ${error.message}`);
      const onExit = (code: number) => listener(`exited (code ${code})`);
      worker.on('error', onError);
      worker.on('exit', onExit);
      return () => {
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
    },
    terminate: async () => void (await worker.terminate()),
    keepAlive: (on) => (on ? worker.ref() : worker.unref()),
  };
};

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  onProgress?: (progress: GenerateProgress) => void;
  cleanup: () => void;
}

export class ModelHost implements ModelService {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private failure: Error | undefined;
  private closed = false;

  private exited: Promise<void>;

  private constructor(
    private readonly worker: ModelChannel,
    readonly info: ModelSetInfo,
  ) {
    worker.onMessage((m) => this.onMessage(m));
    this.exited = new Promise((resolve) =>
      worker.onExit((reason) => {
        this.fail(new Error(`model worker ${reason}`));
        resolve();
      }),
    );
  }

  /**
   * Starts a worker (a thread by default; Electron passes its utility-process spawn), loads and verifies the model
   * set in it, and resolves once its sessions are open.
   */
  static async start(dir: string, options: ModelRuntimeOptions = {}, spawn: ModelChannelSpawn = workerThreadChannel): Promise<ModelHost> {
    const init: WorkerInit = { entry: modelWorkerEntry().file.href, dir, options };
    const worker = spawn(init);
    const stops: (() => void)[] = [];
    try {
      const info = await new Promise<ModelSetInfo>((resolve, reject) => {
        stops.push(
          worker.onMessage((m) => {
            if (m.type === 'ready') resolve(m.info);
            else if (m.type === 'init-error') reject(reviveError(m.error));
          }),
          worker.onExit((reason) => reject(new Error(`model worker ${reason} during start-up`))),
        );
      });
      return new ModelHost(worker, info);
    } catch (error) {
      await worker.terminate();
      throw error;
    } finally {
      for (const stop of stops) stop();
    }
  }

  embedTexts(texts: readonly string[], options: CallOptions = {}): Promise<TextEmbeddingBatch> {
    return this.call({ method: 'embedTexts', args: [texts.slice()] }, options) as Promise<TextEmbeddingBatch>;
  }

  embedImages(tensors: readonly Float32Array[] | Float32Array, options: CallOptions = {}): Promise<EmbeddingBatch> {
    const args = tensors instanceof Float32Array ? tensors : tensors.slice();
    return this.call({ method: 'embedImages', args: [args] }, options) as Promise<EmbeddingBatch>;
  }

  embedImageFiles(inputs: readonly (string | Buffer)[], options: ImageToTensorOptions & CallOptions = {}): Promise<ImageFilesEmbedding> {
    const { signal, ...decode } = options;
    return this.call({ method: 'embedImageFiles', args: [inputs.slice(), decode] }, signal ? { signal } : {}) as Promise<ImageFilesEmbedding>;
  }

  generate(request: GenerateRequest, options: GenerateCallOptions = {}): Promise<GeneratedImages> {
    return this.call({ method: 'generate', args: [request, options.onProgress !== undefined] }, options, options.onProgress) as Promise<GeneratedImages>;
  }

  judge(images: Float32Array, count: number, options: CallOptions = {}): Promise<JudgeLogits> {
    return this.call({ method: 'judge', args: [images, count] }, options) as Promise<JudgeLogits>;
  }

  /** Stops the worker (pending calls are cancelled). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.post({ type: 'close' });
    const timer = setTimeout(() => void this.worker.terminate(), 2000);
    await this.exited;
    clearTimeout(timer);
  }

  private call(call: WorkerCall, options: CallOptions, onProgress?: (p: GenerateProgress) => void): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error('the model host is closed'));
    if (options.signal?.aborted) return Promise.reject(new ModelAbortError());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const onAbort = () => this.post({ type: 'cancel', id });
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        resolve,
        reject,
        ...(onProgress ? { onProgress } : {}),
        cleanup: () => options.signal?.removeEventListener('abort', onAbort),
      });
      if (this.pending.size === 1) this.worker.keepAlive?.(true);
      this.post({ type: 'call', id, ...call } as HostToWorker);
    });
  }

  private post(message: HostToWorker): void {
    this.worker.post(message);
  }

  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    this.pending.delete(id);
    p.cleanup();
    if (this.pending.size === 0) this.worker.keepAlive?.(false);
    return p;
  }

  private onMessage(m: WorkerToHost): void {
    switch (m.type) {
      case 'result':
        this.settle(m.id)?.resolve(m.value);
        break;
      case 'error':
        this.settle(m.id)?.reject(reviveError(m.error));
        break;
      case 'progress':
        this.pending.get(m.id)?.onProgress?.(m.progress);
        break;
      default:
        break;
    }
  }

  private fail(error: Error): void {
    if (!this.closed) this.failure ??= error;
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(this.failure ?? error);
  }
}
