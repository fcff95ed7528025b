// Every worker the studio starts finds its entry through core/worker-entry.ts; from sources that is the TypeScript
// file under core/, started through the bootstrap (the bundled case is checked by test/electron/packaging.test.ts).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startWorkerThread, workerEntry } from '../../core/worker-entry.ts';

describe('workerEntry', () => {
  it('finds each worker’s TypeScript source when nothing is bundled', () => {
    for (const source of ['models/model-worker', 'datasets/parquet-worker']) {
      const entry = workerEntry(source);
      expect(entry.bundled).toBe(false);
      expect(fileURLToPath(entry.file)).toMatch(new RegExp(`core[\\\\/]${source.replace('/', '[\\\\/]')}\\.ts$`));
      expect(existsSync(entry.file)).toBe(true);
    }
  });

  it('starts a source entry on a thread through the bootstrap (tsx registered there)', async () => {
    const entry = workerEntry('datasets/parquet-worker');
    // No task: the reading thread reports its failure as a message, which shows the TypeScript entry ran.
    const worker = startWorkerThread(entry, { entry: entry.file.href });
    const message = await new Promise<{ type: string }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    expect(message.type).toBe('error');
  });
});
