/**
 * Entry point of a Parquet reading thread (./parquet-threads.ts): reads one range of a file's row groups with the
 * one row reader (./parquet-import.ts), posting each group's row count, then the rows (their buffer transferred).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { DatasetInputError } from './errors.ts';
import { readTask, type RowGroupTask } from './parquet-import.ts';
import type { ReadingThreadMessage } from './parquet-threads.ts';

const { task } = workerData as { task: RowGroupTask };
const post = (message: ReadingThreadMessage, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(message, transfer);
try {
  const { data, ids } = await readTask(task, (rows) => post({ type: 'group', rows }));
  post({ type: 'done', data, ids }, [data.buffer as ArrayBuffer]);
} catch (error) {
  post({ type: 'error', input: error instanceof DatasetInputError, message: (error as Error).message });
}
