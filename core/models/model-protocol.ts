/** Messages between `ModelHost` (any thread) and the model worker that owns the onnxruntime sessions. */
import type { ImageToTensorOptions } from './preprocess.ts';
import type { GenerateProgress, GenerateRequest, ModelRuntimeOptions, ModelSetInfo } from './runtime.ts';

export interface WorkerInit {
  entry: string;
  dir: string;
  options: ModelRuntimeOptions;
}

export type WorkerCall =
  | { method: 'embedTexts'; args: [texts: string[]] }
  | { method: 'embedImages'; args: [tensors: Float32Array[] | Float32Array] }
  | { method: 'embedImageFiles'; args: [inputs: (string | Buffer)[], options: ImageToTensorOptions] }
  | { method: 'generate'; args: [request: GenerateRequest, wantProgress: boolean] }
  | { method: 'judge'; args: [images: Float32Array, count: number] };

/** `init` is the first message to a worker in a process of its own (a worker thread gets it as workerData). */
export type HostToWorker = ({ type: 'call'; id: number } & WorkerCall) | { type: 'cancel'; id: number } | { type: 'close' } | { type: 'init'; init: WorkerInit };

export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  file?: string;
}

export type WorkerToHost =
  | { type: 'ready'; info: ModelSetInfo }
  | { type: 'init-error'; error: SerializedError }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; error: SerializedError }
  | { type: 'progress'; id: number; progress: GenerateProgress };

export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const e = error as Error & { code?: unknown; file?: unknown };
    return {
      name: e.name,
      message: e.message,
      ...(typeof e.code === 'string' ? { code: e.code } : {}),
      ...(typeof e.file === 'string' ? { file: e.file } : {}),
    };
  }
  return { name: 'Error', message: String(error) };
}
