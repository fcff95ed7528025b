// Loading a model set checks every file's sha256 before anything runs; problems name the file.
import { copyFile, mkdtemp, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Manifest, ModelSetError, readManifest, verifyModelSet } from '../../../core/models/index.ts';
import { MODEL_SET_DIR } from './golden-fixtures.ts';

let dir: string;
let manifest: Manifest;

/** A private copy of the set: the manifest and small files copied, the big ONNX files symlinked. */
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dprdm-modelset-'));
  manifest = await readManifest(MODEL_SET_DIR);
  await copyFile(join(MODEL_SET_DIR, 'manifest.json'), join(dir, 'manifest.json'));
  for (const entry of Object.values(manifest.files)) {
    const from = join(MODEL_SET_DIR, entry.path);
    if (entry.path.endsWith('.onnx')) await symlink(from, join(dir, entry.path));
    else await copyFile(from, join(dir, entry.path));
  }
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function failure(promise: Promise<unknown>): Promise<ModelSetError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelSetError);
  return error as ModelSetError;
}

describe('verifyModelSet', () => {
  it('accepts the committed set and resolves every file', async () => {
    const set = await verifyModelSet(dir);
    expect(set.manifest.name).toBe(manifest.name);
    expect(Object.keys(set.paths).sort()).toEqual(Object.keys(manifest.files).sort());
  });

  it('names a file whose bytes changed (sha256 mismatch)', async () => {
    const path = join(dir, manifest.files.tokenizer.path);
    await writeFile(path, (await readFile(path, 'utf8')).replace('"maxLength"', ' "maxLength"'));
    const error = await failure(verifyModelSet(dir));
    expect(error.code).toBe('FILE_HASH_MISMATCH');
    expect(error.file).toBe(path);
    expect(error.message).toContain(manifest.files.tokenizer.path);
    expect(error.message).toContain(manifest.files.tokenizer.sha256);
  });

  it('names an absent file, and reports every problem at once', async () => {
    await unlink(join(dir, manifest.files.decoder.path));
    await unlink(join(dir, manifest.files.publicRetrieval.path));
    const error = await failure(verifyModelSet(dir));
    expect(error.code).toBe('FILE_MISSING');
    expect(error.message).toContain(manifest.files.decoder.path);
    expect(error.message).toContain(manifest.files.publicRetrieval.path);
  });

  it('refuses a missing manifest, an invalid one, and paths that leave the folder', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'dprdm-empty-'));
    try {
      expect((await failure(verifyModelSet(empty))).code).toBe('MANIFEST_MISSING');
    } finally {
      await rm(empty, { recursive: true });
    }
    const raw = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    raw.decoder.schedule.alphasCumprod = raw.decoder.schedule.alphasCumprod.slice(1);
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(raw));
    const invalid = await failure(verifyModelSet(dir));
    expect(invalid.code).toBe('MANIFEST_INVALID');
    expect(invalid.message).toContain('decoder.schedule.alphasCumprod');
    raw.decoder.schedule.alphasCumprod = manifest.decoder.schedule.alphasCumprod;
    raw.files.judge.path = '../judge.onnx';
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(raw));
    const escape = await failure(verifyModelSet(dir));
    expect(escape.code).toBe('MANIFEST_INVALID');
    expect(escape.message).toContain('files.judge.path');
  });
});
