/**
 * Path confinement, the one statement of it (docs/design.md §6): whether a path lies inside a folder, and the real
 * path of a place that may not exist yet (its nearest existing ancestor's symlinks resolved), so that no symlink can
 * smuggle a write into, or a read out of, a folder it must stay out of.
 */
import { realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/** Whether `path` is `root` or lies inside it (both already resolved; compare real paths where symlinks matter). */
export function isWithin(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/** The real path of `path`, resolving the symlinks of its nearest existing ancestor when it does not exist yet. */
export function realPathOf(path: string): string {
  let current = resolve(path);
  const rest: string[] = [];
  for (;;) {
    try {
      return join(realpathSync.native(current), ...rest);
    } catch {
      const parent = dirname(current);
      if (parent === current) return resolve(path);
      rest.unshift(basename(current));
      current = parent;
    }
  }
}
