/**
 * Inside Electron the model host runs in a utility process (Electron's `utilityProcess`): a V8 heap of its own, so a
 * large private store and the models never compete with the window's main process for memory. It runs the bundled
 * model worker (out/electron/model-worker.mjs), which speaks the same protocol over `process.parentPort`; progress
 * and cancellation work exactly as with a worker thread (core/models/model-host.ts).
 */
import { fileURLToPath } from 'node:url';
import { modelWorkerEntry, type ModelChannel, type ModelChannelSpawn } from '../core/models/index.ts';

/** The slice of Electron's `utilityProcess` this needs (injected, so tests can run it against a fake). */
export interface UtilityProcessApi {
  fork(modulePath: string, args?: string[], options?: { serviceName?: string; stdio?: 'inherit' | 'pipe' | 'ignore' }): UtilityChild;
}

export interface UtilityChild {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): UtilityChild;
  on(event: 'exit', listener: (code: number) => void): UtilityChild;
  off(event: 'message' | 'exit', listener: (...args: never[]) => void): UtilityChild;
  kill(): boolean;
}

/** `workerFile`: default the model worker beside the model host — in the desktop app the bundled out/electron/model-worker.mjs. */
export function utilityProcessSpawn(api: UtilityProcessApi, workerFile: string = fileURLToPath(modelWorkerEntry().file)): ModelChannelSpawn {
  return (init): ModelChannel => {
    const child = api.fork(workerFile, [], { serviceName: 'DP-RDM Studio models', stdio: 'inherit' });
    child.postMessage({ type: 'init', init: { ...init, entry: workerFile } });
    let exited = false;
    return {
      post: (message) => child.postMessage(message),
      onMessage(listener) {
        const l = (m: unknown) => listener(m as Parameters<typeof listener>[0]);
        child.on('message', l);
        return () => void child.off('message', l);
      },
      onExit(listener) {
        const l = (code: number) => {
          exited = true;
          listener(`exited (code ${code})`);
        };
        child.on('exit', l);
        return () => void child.off('exit', l);
      },
      terminate: async () => {
        if (!exited) child.kill();
      },
    };
  };
}
