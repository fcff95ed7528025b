/**
 * A Parquet file's row groups read on several threads at once (./parquet-worker.ts): hyparquet decodes list
 * columns in plain JavaScript, so a cluster-sized import is bound by one core unless its row groups are shared out.
 * Each thread reads one contiguous range with the same reader and checks as this thread would, and hands back its
 * rows (the values' buffer is transferred, not copied); a refusal keeps its message (row numbers are the file's).
 */
import type { Worker } from 'node:worker_threads';
import { startWorkerThread, workerEntry } from '../worker-entry.ts';
import { DatasetInputError } from './errors.ts';
import type { RowGroupTask } from './parquet-import.ts';

/** What a reading thread posts. */
export type ReadingThreadMessage =
  | { readonly type: 'group'; readonly rows: number }
  | { readonly type: 'done'; readonly data: Float32Array; readonly ids: string[] }
  | { readonly type: 'error'; readonly input: boolean; readonly message: string };

/** A reading thread for `task` (its entry: core/worker-entry.ts). */
function readingThread(task: RowGroupTask): Worker {
  const entry = workerEntry('datasets/parquet-worker');
  return startWorkerThread(entry, { entry: entry.file.href, task });
}

function rowsOf(task: RowGroupTask, next: RowGroupTask | undefined, total: number): number {
  return (next?.rowStart ?? total) - task.rowStart;
}

/** Reads every task on a thread of its own into `data` and `ids` (the whole file's), reporting each group read. */
export async function readOnThreads(tasks: readonly RowGroupTask[], data: Float32Array, ids: string[], onGroup: (rows: number) => void, signal?: AbortSignal): Promise<void> {
  const total = ids.length;
  const dim = tasks[0]!.dim;
  const threads: Worker[] = [];
  const stops: (() => void)[] = [];
  signal?.throwIfAborted();
  try {
    await Promise.all(
      tasks.map(
        (task, t) =>
          new Promise<void>((resolve, reject) => {
            const worker = readingThread(task);
            threads.push(worker);
            const expected = rowsOf(task, tasks[t + 1], total);
            let finished = false;
            worker.on('message', (message: ReadingThreadMessage) => {
              if (message.type === 'group') onGroup(message.rows);
              else if (message.type === 'error') {
                finished = true;
                reject(message.input ? new DatasetInputError(message.message) : new Error(message.message));
              } else {
                finished = true;
                if (message.ids.length !== expected || message.data.length !== expected * dim) return reject(new Error(`a reading thread returned ${message.ids.length} rows, expected ${expected}`));
                data.set(message.data, task.rowStart * dim);
                for (let i = 0; i < expected; i++) ids[task.rowStart + i] = message.ids[i]!;
                resolve();
              }
            });
            worker.on('error', (error) => reject(error));
            worker.on('exit', (code) => {
              if (!finished) reject(new Error(`a reading thread ended (code ${code}) before its rows were read`));
            });
            if (signal) {
              const onAbort = () => reject(signal.reason);
              signal.addEventListener('abort', onAbort, { once: true });
              stops.push(() => signal.removeEventListener('abort', onAbort));
            }
          }),
      ),
    );
  } finally {
    for (const stop of stops) stop();
    await Promise.all(threads.map((worker) => worker.terminate()));
  }
}
