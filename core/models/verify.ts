/**
 * Loading a model set: read the manifest, then check that every file it lists exists and has its sha256.
 * Nothing is handed to onnxruntime before this passes; a problem is a `ModelSetError` that names the file.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ModelSetError } from './errors.ts';
import { type Manifest, type ModelFileKey, modelFilePath, readManifest } from './manifest.ts';

export interface VerifiedModelSet {
  /** Absolute folder of the set. */
  dir: string;
  manifest: Manifest;
  /** Absolute path of every file in `manifest.files`, by key (the required ones and any extra). */
  paths: Record<ModelFileKey, string> & Record<string, string>;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

interface Problem {
  code: 'FILE_MISSING' | 'FILE_HASH_MISMATCH';
  key: string;
  path: string;
  message: string;
}

/**
 * Reads `<dir>/manifest.json` and verifies every listed file (all of them, so that one error reports every
 * bad file). Throws `ModelSetError` with code MANIFEST_MISSING / MANIFEST_INVALID / FILE_MISSING /
 * FILE_HASH_MISMATCH; `error.file` is the first offending path.
 */
export async function verifyModelSet(dir: string): Promise<VerifiedModelSet> {
  const root = resolve(dir);
  const manifest = await readManifest(root);
  const paths = {} as Record<ModelFileKey, string> & Record<string, string>;
  const problems: Problem[] = [];
  for (const [key, entry] of Object.entries(manifest.files)) {
    const path = modelFilePath(root, entry);
    paths[key] = path;
    try {
      const info = await stat(path);
      if (!info.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'ENOTFILE' });
    } catch (error) {
      const why = (error as NodeJS.ErrnoException).code ?? String(error);
      problems.push({ code: 'FILE_MISSING', key, path, message: `${entry.path} (files.${key}) is missing (${why})` });
      continue;
    }
    const actual = await sha256File(path);
    if (actual !== entry.sha256) {
      problems.push({ code: 'FILE_HASH_MISMATCH', key, path, message: `${entry.path} (files.${key}) has sha256 ${actual}, the manifest expects ${entry.sha256}` });
    }
  }
  const first = problems[0];
  if (first) {
    const summary = problems.map((p) => p.message).join('; ');
    const what = first.code === 'FILE_MISSING' ? 'missing file' : 'corrupt or modified file';
    throw new ModelSetError(first.code, `Model set "${manifest.name}" in ${root} has a ${what}: ${summary}`, first.path);
  }
  return { dir: root, manifest, paths };
}
