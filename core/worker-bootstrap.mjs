// Entry point of a worker thread started from sources (./worker-entry.ts). Worker threads start without the
// parent's loaders, so this plain JavaScript file registers tsx (as bin/dprdm.js does) and then imports the
// TypeScript entry named in workerData.entry. It works the same under vitest, the CLI, the HTTP host and benchmarks.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
