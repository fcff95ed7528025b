import { join, resolve } from 'node:path';

/**
 * Where a CLI command writes when no --out is given: a new folder per run under ./<root>/ in the current directory
 * (`dprdm demo` → ./dprdm-demo/, `generate` and `rerender` → ./dprdm-out/), never inside the studio's home.
 */
export function runFolder(root: 'dprdm-demo' | 'dprdm-out', now: Date = new Date()): string {
  return resolve(join(root, now.toISOString().replace(/[:.]/g, '-')));
}
