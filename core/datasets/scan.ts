/**
 * Walks a private folder without modifying it: `lstat` only, no symbolic link is followed out of the folder,
 * and default exclusions skip hidden folders, version-control and package folders, NAS thumbnail folders and
 * the studio's own folders. The result is the list of candidate image files (by extension; the real type is
 * checked from the bytes later) and the entries that can never be indexed, each with a human-readable reason.
 */
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import type { BigIntStats, Dirent } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { isWithin } from '../confinement.ts';
import { IMAGE_EXTENSIONS } from './sniff.ts';

/** Folder names skipped everywhere (compared case-insensitively). Hidden folders (".name") are skipped too. */
export const DEFAULT_EXCLUDED_FOLDERS: ReadonlySet<string> = new Set([
  'node_modules', '@eadir', '#recycle', '#snapshot', 'thumbnails', 'thumbs', '__macosx', '$recycle.bin',
  'system volume information', 'lost+found', 'dprdm-exports', 'dprdm-output', 'dp-rdm studio', 'dprdm-studio',
]);

export interface ScanOptions {
  /** Absolute folders never to enter (the studio's home when it lies inside the folder). */
  readonly excludedPaths?: readonly string[];
  readonly signal?: AbortSignal;
}

export interface ScannedFile {
  /** Relative to the folder root, "/"-separated. */
  readonly path: string;
  /** What to open: the file itself, or the in-folder target of a symbolic link. */
  readonly absolute: string;
  readonly size: number;
  readonly mtimeNs: string;
  readonly ino: string;
  readonly dev: string;
}

export interface ScanIssue {
  readonly path: string;
  readonly reason: string;
  /** A transient condition (vanished, unreadable right now): retried at the next sync. */
  readonly transient: boolean;
}

export interface ScanResult {
  readonly root: string;
  readonly files: ScannedFile[];
  readonly issues: ScanIssue[];
  /** Files that are not images by their extension (documents, sidecars…): not indexed, not reported one by one. */
  readonly ignoredFiles: number;
  readonly excludedFolders: number;
  readonly durationMs: number;
}

function errnoReason(error: unknown, what: string): { reason: string; transient: boolean } {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return { reason: `${what} disappeared while the folder was being scanned`, transient: true };
    case 'EACCES':
    case 'EPERM':
      return { reason: `${what} cannot be read: permission denied`, transient: true };
    case 'ELOOP':
      return { reason: 'symbolic link loop: the link points back to itself', transient: false };
    case 'ENAMETOOLONG':
      return { reason: 'the path is too long for this system to open', transient: false };
    case 'EIO':
      return { reason: `${what} cannot be read: input/output error (a failing disk or a network drive that went away?)`, transient: true };
    default:
      return { reason: `${what} cannot be read: ${code ?? (error as Error).message}`, transient: true };
  }
}

function specialKind(stats: { isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (stats.isFIFO()) return 'a named pipe';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

const toPosix = sep === '/' ? (p: string) => p : (p: string) => p.split(sep).join('/');

export function isImageName(name: string): boolean {
  return IMAGE_EXTENSIONS.has(extname(name).slice(1).toLowerCase());
}

/** Scans `root` (an absolute, real path of a folder). */
export async function scanFolder(root: string, options: ScanOptions = {}): Promise<ScanResult> {
  const started = performance.now();
  const files: ScannedFile[] = [];
  const issues: ScanIssue[] = [];
  let ignoredFiles = 0;
  let excludedFolders = 0;
  const excluded = (options.excludedPaths ?? []).filter((p) => p !== root);
  const visited = new Set<string>();
  const queue: string[] = [root];

  const fileEntry = (rel: string, absolute: string, stats: BigIntStats): ScannedFile => ({
    path: rel,
    absolute,
    size: Number(stats.size),
    mtimeNs: stats.mtimeNs.toString(),
    ino: stats.ino.toString(),
    dev: stats.dev.toString(),
  });

  const visitEntry = async (dir: string, entry: Dirent): Promise<void> => {
    const name = entry.name;
    const absolute = join(dir, name);
    const rel = toPosix(relative(root, absolute));
    if (entry.isDirectory()) {
      if (name.startsWith('.') || DEFAULT_EXCLUDED_FOLDERS.has(name.toLowerCase()) || excluded.some((p) => isWithin(p, absolute))) {
        excludedFolders++;
        return;
      }
      queue.push(absolute);
      return;
    }
    if (name.startsWith('.')) {
      ignoredFiles++; // hidden files: .DS_Store, ._AppleDouble sidecars…
      return;
    }
    const candidate = isImageName(name);
    if (entry.isSymbolicLink()) {
      let target: string;
      try {
        target = await realpath(absolute);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') issues.push({ path: rel, reason: 'broken symbolic link: its target does not exist', transient: true });
        else issues.push({ path: rel, ...errnoReason(error, 'the symbolic link') });
        return;
      }
      if (!isWithin(root, target)) {
        issues.push({ path: rel, reason: 'symbolic link to a location outside the folder: not followed', transient: false });
        return;
      }
      let stats: BigIntStats;
      try {
        stats = await stat(target, { bigint: true });
      } catch (error) {
        issues.push({ path: rel, ...errnoReason(error, 'the link target') });
        return;
      }
      if (stats.isDirectory()) {
        issues.push({ path: rel, reason: 'symbolic link to a folder: not followed (its target inside the folder is scanned directly)', transient: false });
        return;
      }
      if (!candidate) {
        ignoredFiles++;
        return;
      }
      if (!stats.isFile()) {
        issues.push({ path: rel, reason: `the link points to ${specialKind(stats)}, not a file`, transient: false });
        return;
      }
      files.push(fileEntry(rel, target, stats));
      return;
    }
    if (!candidate) {
      ignoredFiles++;
      return;
    }
    let stats: BigIntStats;
    try {
      stats = await lstat(absolute, { bigint: true });
    } catch (error) {
      issues.push({ path: rel, ...errnoReason(error, 'the file') });
      return;
    }
    if (stats.isFile()) files.push(fileEntry(rel, absolute, stats));
    else if (stats.isDirectory()) queue.push(absolute); // replaced by a folder between readdir and lstat
    else if (stats.isSymbolicLink()) issues.push({ path: rel, reason: 'the file was replaced by a symbolic link during the scan; it is checked again at the next sync', transient: true });
    else issues.push({ path: rel, reason: `${specialKind(stats)}, not an image file`, transient: false });
  };

  while (queue.length > 0) {
    if (options.signal?.aborted) break;
    const dir = queue.pop()!;
    let entries: Dirent[];
    try {
      const dirStats = await lstat(dir, { bigint: true });
      const key = `${dirStats.dev}:${dirStats.ino}`;
      if (visited.has(key)) continue; // a bind mount seen twice
      visited.add(key);
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      const rel = toPosix(relative(root, dir));
      issues.push({ path: `${rel === '' ? '.' : rel}/`, ...errnoReason(error, 'the folder') });
      continue;
    }
    const CHUNK = 128;
    for (let i = 0; i < entries.length; i += CHUNK) {
      await Promise.all(entries.slice(i, i + CHUNK).map((entry) => visitEntry(dir, entry)));
    }
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  issues.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { root, files, issues, ignoredFiles, excludedFolders, durationMs: performance.now() - started };
}
