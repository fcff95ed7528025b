/**
 * Where a ledger may live: never inside a private image folder, and never on a network file system
 * (SQLite's locking and fsync guarantees do not hold there; two machines could both spend the same budget).
 */
import { readFileSync, statfsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { isWithin, realPathOf } from '../confinement.ts';
import { LedgerLocationError } from './errors.ts';

const NETWORK_FS_TYPES = new Set([
  'nfs', 'nfs4', 'cifs', 'smb', 'smb2', 'smb3', 'smbfs', '9p', 'v9fs', 'afs', 'ncpfs', 'coda', 'ceph', 'glusterfs',
  'lustre', 'gpfs', 'davfs', 'virtiofs', 'fuse.sshfs', 'sshfs', 'fuse.glusterfs', 'fuse.davfs2', 'fuse.rclone',
  'fuse.s3fs', 'fuse.cephfs', 'fuse.gcsfuse', 'fuse.juicefs', 'fuse.smbnetfs', 'fuse.curlftpfs',
]);

/** statfs(2) magic numbers of network file systems (Linux). */
const NETWORK_FS_MAGIC = new Map<number, string>([
  [0x6969, 'nfs'],
  [0x517b, 'smb'],
  [0xff534d42, 'cifs'],
  [0xfe534d42, 'smb2'],
  [0x01021997, '9p'],
  [0x00c36400, 'ceph'],
  [0x5346414f, 'afs'],
]);

export function isNetworkFileSystemType(fsType: string): boolean {
  const type = fsType.toLowerCase();
  return NETWORK_FS_TYPES.has(type) || type.startsWith('nfs') || type.startsWith('fuse.sshfs');
}

function unescapeMountPath(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** The file-system type of the mount holding `path`, from a /proc/self/mountinfo text (longest mount-point prefix). */
export function fileSystemTypeFromMountInfo(mountInfo: string, path: string): string | undefined {
  let best: { mountPoint: string; type: string } | undefined;
  for (const line of mountInfo.split('\n')) {
    const fields = line.split(' ');
    const separator = fields.indexOf('-');
    if (separator < 5 || fields.length < separator + 2) continue;
    const mountPoint = unescapeMountPath(fields[4]!);
    const type = fields[separator + 1]!;
    if (!isWithin(mountPoint, path)) continue;
    if (!best || mountPoint.length >= best.mountPoint.length) best = { mountPoint, type };
  }
  return best?.type;
}

/** Best-effort detection; undefined when the platform gives no reliable answer. */
export function detectNetworkFileSystem(directory: string): string | undefined {
  if (process.platform === 'linux') {
    try {
      const type = fileSystemTypeFromMountInfo(readFileSync('/proc/self/mountinfo', 'utf8'), directory);
      if (type !== undefined) return isNetworkFileSystemType(type) ? type : undefined;
    } catch {
      // fall through to statfs
    }
  }
  if (process.platform === 'linux' || process.platform === 'android') {
    try {
      return NETWORK_FS_MAGIC.get(Number(statfsSync(directory).type) >>> 0);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Throws LedgerLocationError when the ledger file would be inside a forbidden root or on a network file system. */
export function checkLedgerLocation(path: string, forbiddenRoots: readonly string[], allowNetworkFileSystem: boolean): void {
  const directory = realPathOf(dirname(resolve(path)));
  const file = join(directory, basename(resolve(path)));
  for (const root of forbiddenRoots) {
    if (typeof root !== 'string' || root.length === 0) continue;
    for (const candidate of new Set([resolve(root), realPathOf(root)])) {
      if (isWithin(candidate, file) || isWithin(candidate, directory)) {
        throw new LedgerLocationError(path, `it is inside the private image folder ${candidate}; the studio never writes into a private folder`);
      }
    }
  }
  if (!allowNetworkFileSystem) {
    const type = detectNetworkFileSystem(realPathOf(directory));
    if (type !== undefined) {
      throw new LedgerLocationError(path, `${directory} is on a network file system (${type}), where SQLite cannot guarantee that two processes never spend the same budget; keep the studio's data directory on a local disk`);
    }
  }
}
