// No deterministic function of the private set in any output (real models, real exports):
//  - the membership attack from the review: knowing all but one image of a folder, recompute the fingerprint (or any
//    sha256 of member hashes) for each candidate and look for it in an export: nothing matches;
//  - the same folder indexed in two fresh studio homes gives exports with no identifier in common but the model
//    set's own hashes;
//  - swapping one member and syncing leaves every identifier the dataset's exports carry unchanged;
//  - the export's ledger-head receipt catches a later rewrite of the ledger that `ledger verify` alone cannot.
import { createHash } from 'node:crypto';
import { copyFileSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { readTextChunks } from '../../../core/export/png-text-chunks.ts';
import { membershipFingerprint } from '../../../core/ledger/index.ts';
import { LEDGER_FILE_NAME } from '../../../core/paths.ts';
import { createStudioService, type StudioService } from '../../../core/studio/service.ts';
import { runCli } from '../cli/run-cli.ts';
import { cleanupTemp, DEMO_FOLDER, localApi, privateFolder, tempDir } from './helpers.ts';

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

/** Every text an export carries: manifests, PRIVACY.md, and each PNG's text chunks. */
function exportText(folder: string): string {
  return readdirSync(folder)
    .map((name) => {
      const bytes = readFileSync(join(folder, name));
      return name.endsWith('.png') ? [...readTextChunks(bytes).values()].join('\n') : bytes.toString('utf8');
    })
    .join('\n');
}

/** Identifier-like tokens: ids and hex strings of 10 or more digits (not plain decimals such as σ's digits). */
function identifiers(text: string): Set<string> {
  return new Set(text.match(/\b(?:ds|rc|gen|img)_[0-9a-f]+\b|\b(?=[0-9a-f]*[a-f])[0-9a-f]{10,}\b/g) ?? []);
}

async function studioWithExport(folder: string, home = tempDir('dprdm-ids-home-')) {
  const service = await createStudioService({ home, exportAnywhere: true });
  const call = localApi(() => service);
  const dataset = await call('datasets.add', { folder, epsilonCap: 5 });
  const exportOnce = async () => {
    const result = await call('generate.run', { datasetId: dataset.id, prompt: 'a red star', epsilon: 0.5, images: 1, steps: 2, publicOnly: false });
    const out = join(tempDir('dprdm-ids-out-'), 'export');
    await call('export.images', { imageIds: result.images.map((i) => i.imageId), folder: out });
    return out;
  };
  return { service, call, dataset, home, exportOnce };
}

describe('exports carry no function of the private set', () => {
  const services: StudioService[] = [];
  afterAll(async () => {
    for (const s of services) await s.close();
    cleanupTemp();
  });

  it('the membership attack finds nothing, two homes share only the model set’s hashes, a swap changes no identifier', { timeout: 120_000 }, async () => {
    const folder = privateFolder(6);
    const a = await studioWithExport(folder);
    const b = await studioWithExport(folder);
    services.push(a.service, b.service);
    const exportA = await a.exportOnce();
    const exportB = await b.exportOnce();
    const textA = exportText(exportA);

    // The attack: all but one member known, six candidates for the last.
    const members = readdirSync(folder).map((name) => sha256(readFileSync(join(folder, name)))).sort();
    const known = members.slice(1);
    const candidates = [members[0]!, ...readdirSync(DEMO_FOLDER).slice(100, 105).map((name) => sha256(readFileSync(join(DEMO_FOLDER, name))))];
    for (const candidate of candidates) {
      const set = [...known, candidate].sort();
      for (const guess of [membershipFingerprint(set), sha256(set.join('\n')), sha256(`${set.join('\n')}\n`)]) {
        expect(textA).not.toContain(guess.slice(0, 16));
      }
      expect(textA).not.toContain(candidate.slice(0, 16));
    }
    for (const member of members) expect(textA).not.toContain(member.slice(0, 16));

    // Two fresh homes: only the model set's own hashes in common.
    const manifestSha = sha256(readFileSync(new URL('../../../native-models/looks-v1/manifest.json', import.meta.url)));
    const common = [...identifiers(textA)].filter((id) => identifiers(exportText(exportB)).has(id));
    expect(common.every((id) => manifestSha.startsWith(id) || id === manifestSha), `shared: ${common.join(', ')}`).toBe(true);

    // Swap one member and sync: the dataset's identifiers in a new export are those of the first.
    const names = readdirSync(folder).sort();
    rmSync(join(folder, names[0]!));
    copyFileSync(join(DEMO_FOLDER, readdirSync(DEMO_FOLDER).sort()[200]!), join(folder, 'swapped.png'));
    await a.call('datasets.sync', { datasetId: a.dataset.id });
    const after = exportText(await a.exportOnce());
    expect(after).toContain(a.dataset.id);
    const datasetIds = (text: string) => new Set(text.match(/\bds_[0-9a-f]{16}\b/g));
    expect([...datasetIds(after)]).toEqual([...datasetIds(textA)]);
  });

  it('ledger verify --receipts catches a rewrite after an export that the hash chain alone does not', { timeout: 120_000 }, async () => {
    const s = await studioWithExport(privateFolder(4, 10));
    services.push(s.service);
    const exported = await s.exportOnce();
    const previous = process.env.DPRDM_HOME;
    process.env.DPRDM_HOME = s.home;
    try {
      const ok = await runCli(['ledger', 'verify', s.dataset.id, '--receipts', exported, '--json']);
      expect(ok.code).toBe(0);
      expect(JSON.parse(ok.stdout).receipts).toEqual([expect.objectContaining({ seq: 1, held: true })]);
      await s.service.close();
      // The review's attack: delete the charges and reset the head to the genesis value.
      const db = new Database(join(s.home, LEDGER_FILE_NAME));
      db.prepare('DELETE FROM charges WHERE dataset_id = ?').run(s.dataset.id);
      db.prepare('UPDATE heads SET count = 0, last_hash = ? WHERE dataset_id = ?').run(sha256(s.dataset.id), s.dataset.id);
      db.close();
      expect((await runCli(['ledger', 'verify', s.dataset.id])).code).toBe(0); // an unkeyed chain cannot tell
      const caught = await runCli(['ledger', 'verify', s.dataset.id, '--receipts', exported]);
      expect(caught.code).toBe(1);
      expect(caught.stderr).toMatch(/no longer holds entry #1 .* rolled back or rewritten/);
    } finally {
      if (previous === undefined) delete process.env.DPRDM_HOME;
      else process.env.DPRDM_HOME = previous;
    }
  });
});
