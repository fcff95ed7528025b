import { join, resolve } from 'node:path';

/**
 * A new folder per run under `root` (relative to the current directory): where a CLI command writes when no --out is
 * given (`dprdm demo` → ./dprdm-demo/, `generate` and `rerender` → ./dprdm-out/), never inside the studio's home,
 * and where `demo --out DIR` puts each run.
 */
export function runFolder(root: string, now: Date = new Date()): string {
  return resolve(join(root, now.toISOString().replace(/[:.]/g, '-')));
}
