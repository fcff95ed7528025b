/**
 * Where a worker's entry lies, in one place for every worker the studio starts (the model worker, the Parquet
 * reading threads). In the desktop app esbuild bundles each entry as `<name>.mjs` beside main.mjs, so the bundle's
 * `import.meta.url` finds it, moved out of app.asar where the packagers unpack it (native code and new threads read
 * real files); from sources the TypeScript file under core/ is started through ./worker-bootstrap.mjs, which
 * registers tsx first (a new thread does not inherit the parent's loaders).
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { outsideAsar } from './paths.ts';

export interface WorkerEntry {
  /** The bundled `.mjs` or the TypeScript source. */
  readonly file: URL;
  readonly bundled: boolean;
}

/** `source`: the entry's path under core/ without its extension, e.g. `models/model-worker`. */
export function workerEntry(source: string): WorkerEntry {
  const built = outsideAsar(fileURLToPath(new URL(`./${basename(source)}.mjs`, import.meta.url)));
  if (existsSync(built)) return { file: pathToFileURL(built), bundled: true };
  return { file: new URL(`./${source}.ts`, import.meta.url), bundled: false };
}

/**
 * Starts `entry` on a worker thread; `workerData.entry` names it for the bootstrap. The thread inherits the parent's
 * Node flags except --input-type (valid only for -e and stdin scripts).
 */
export function startWorkerThread<Data extends { readonly entry: string }>(entry: WorkerEntry, workerData: Data): Worker {
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
  return new Worker(entry.bundled ? entry.file : new URL('./worker-bootstrap.mjs', import.meta.url), { workerData, execArgv });
}
