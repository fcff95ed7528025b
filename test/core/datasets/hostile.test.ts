import { appendFileSync, chmodSync, readdirSync, lstatSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDataset, showDataset, syncDataset, type DatasetSyncReport } from '../../../core/datasets/index.ts';
import { buildHostileCorpus, type HostileCorpus } from './corpus.ts';
import { ProjectionEmbedder, tempDir, tempHome, type TempHome } from './helpers.ts';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** Every entry of the folder (recursively, links not followed): name → size and mtime. */
function snapshot(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string, rel: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const stats = lstatSync(path);
      out.set(`${rel}${name}`, `${stats.size}:${stats.mtimeMs}:${stats.mode}`);
      if (stats.isDirectory()) walk(path, `${rel}${name}/`);
    }
  };
  walk(root, '');
  return out;
}

describe('indexing a folder of hostile files', () => {
  let env: TempHome;
  let corpus: HostileCorpus;
  let report: DatasetSyncReport;
  let before: Map<string, string>;
  let peakRss = 0;
  const embedder = new ProjectionEmbedder();

  beforeAll(async () => {
    env = tempHome();
    corpus = await buildHostileCorpus(tempDir('dprdm-hostile-'), tempDir('dprdm-outside-'));
    writeFileSync(join(corpus.root, 'oversized.jpg'), Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(3 * 1024 * 1024, 7)]));
    corpus.expected.set('oversized.jpg', { status: 'quarantined', reason: /file too large: 3\.0 MiB exceeds the 2\.0 MiB limit/ });
    if (!isRoot) chmodSync(join(corpus.root, corpus.unreadable), 0o000); // a real permission problem where we are not root
    before = snapshot(corpus.root);
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 10);
    try {
      report = await addDataset({
        folder: corpus.root,
        name: 'hostile',
        embedder,
        ledger: env.ledger,
        home: env.home,
        batchSize: 8,
        limits: { maxFileBytes: 2 * 1024 * 1024 },
        hooks: {
          beforeRead(path) {
            if (path === corpus.vanishing) rmSync(join(corpus.root, path));
            if (path === corpus.changingBeforeRead) appendFileSync(join(corpus.root, path), Buffer.from('trailing bytes after IEND'));
            if (path === corpus.unreadable && isRoot) {
              // Tests run as root, which chmod cannot lock out: the open(2) failure is injected instead.
              throw Object.assign(new Error(`EACCES: permission denied, open '${path}'`), { code: 'EACCES' });
            }
          },
          afterOpen(path) {
            if (path === corpus.changingDuringRead) appendFileSync(join(corpus.root, path), Buffer.from('more'));
          },
        },
      });
    } finally {
      clearInterval(sampler);
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
  }, 120_000);

  afterAll(() => {
    env?.cleanup();
    if (corpus) {
      rmSync(corpus.root, { recursive: true, force: true });
      rmSync(corpus.outside, { recursive: true, force: true });
    }
  });

  it('ends every candidate file indexed or quarantined with its reason', () => {
    const details = showDataset(report.datasetId, { home: env.home, ledger: env.ledger });
    const quarantined = new Map(details.quarantined.map((q) => [q.path, q.reason]));
    const recorded = new Set([...quarantined.keys()]);
    const problems: string[] = [];
    for (const [path, expectation] of corpus.expected) {
      const reason = quarantined.get(path);
      if (expectation.status === 'indexed') {
        if (reason !== undefined) problems.push(`${JSON.stringify(path)} should be indexed, was quarantined: ${reason}`);
      } else if (reason === undefined) {
        problems.push(`${JSON.stringify(path)} should be quarantined (${expectation.reason}), was not`);
      } else if (!expectation.reason.test(reason)) {
        problems.push(`${JSON.stringify(path)}: reason "${reason}" does not match ${expectation.reason}`);
      }
    }
    expect(problems).toEqual([]);
    for (const path of recorded) expect(corpus.expected.has(path), `unexpected record ${JSON.stringify(path)}`).toBe(true);
    const indexedExpected = [...corpus.expected.values()].filter((e) => e.status === 'indexed').length;
    expect(details.filesIndexed).toBe(indexedExpected);
    expect(details.filesQuarantined).toBe(corpus.expected.size - indexedExpected);
    for (const q of details.quarantined) expect(q.reason.length).toBeGreaterThan(10);
  });

  it('collapses exact duplicates (a copy and an in-folder link) into one member and reports them', () => {
    const details = showDataset(report.datasetId, { home: env.home });
    expect(details.duplicates).toEqual([{ sha256: expect.stringMatching(/^[0-9a-f]{64}$/), paths: ['alias-inside.png', 'good.png', 'sub/deeper/copy of good.png'] }]);
    expect(details.members).toBe(details.filesIndexed - 2);
    expect(report.duplicateFiles).toBe(2);
  });

  it('never excluded-folder files, hidden files or non-image files', () => {
    const details = showDataset(report.datasetId, { home: env.home });
    const all = [...details.quarantined.map((q) => q.path)];
    expect(all.some((p) => p.includes('.git') || p.includes('node_modules') || p.includes('@eaDir') || p.includes('Thumbnails'))).toBe(false);
    expect(report.excludedFolders).toBe(5);
    expect(report.ignoredFiles).toBe(3); // .DS_Store, README.txt, sidecar.xmp
  });

  it('does not modify the folder (apart from what the test hooks did)', () => {
    const after = snapshot(corpus.root);
    const touched = new Set([corpus.vanishing, corpus.changingBeforeRead, corpus.changingDuringRead, ...(isRoot ? [] : [corpus.unreadable])]);
    for (const [name, stamp] of before) if (!touched.has(name)) expect(after.get(name), name).toBe(stamp);
    for (const name of after.keys()) expect(before.has(name), `new entry ${name}`).toBe(true);
  });

  it('stays well under 1 GiB of resident memory', () => {
    expect(peakRss).toBeLessThan(1024 ** 3);
  });

  it('retries transient failures at the next sync and drops files that are gone', async () => {
    if (!isRoot) chmodSync(join(corpus.root, corpus.unreadable), 0o644);
    const second = await syncDataset(report.datasetId, { embedder, ledger: env.ledger, home: env.home, batchSize: 8, limits: { maxFileBytes: 2 * 1024 * 1024 } });
    // vanishing.png left the index; changes-during-read.png and unreadable.png are read again (and now succeed).
    expect(second.counts.removed).toBe(1);
    expect(second.counts.read).toBe(2);
    expect(second.counts.embedded).toBe(2);
    const details = showDataset(report.datasetId, { home: env.home });
    expect(details.quarantined.find((q) => q.path === corpus.unreadable)).toBeUndefined();
    expect(details.quarantined.find((q) => q.path === corpus.changingDuringRead)).toBeUndefined();
    expect(details.quarantined.find((q) => q.path === corpus.vanishing)).toBeUndefined();
  });
});
