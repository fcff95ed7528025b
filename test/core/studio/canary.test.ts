// Canary test (issue 6): a private folder whose directory names, file names and EXIF carry unique random tokens is
// indexed; 50 generations (private and public-only), re-renders, an export, CLI runs and forced errors go through
// the real service and HTTP host. Every HTTP response, every server-sent event, everything written under the
// studio home (except the datasets index, which is the curator's own file list), the export folders and all
// console/stdout/stderr output are searched for the tokens — raw, hex and base64: zero hits.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpHost, type HttpHost } from '../../../core/server/http-host.ts';
import type { DatasetSummary, GenerationResult, StudioApi } from '../../../core/contract/contract.ts';
import { createHttpStudioApi } from '../../../core/contract/http-client.ts';
import { createStudioService, type StudioService } from '../../../core/studio/service.ts';
import { runCli } from '../cli/run-cli.ts';
import { cleanupTemp, DEMO_FOLDER, rejectionOf, tempDir } from './helpers.ts';

const token = () => randomBytes(8).toString('hex');
const CANARY = {
  root: token(),
  album: token(),
  nested: token(),
  deeper: token(),
  photo: token(),
  scan: token(),
  broken: token(),
  description: token(),
  artist: token(),
  copyright: token(),
  software: token(),
};
const TOKENS = Object.values(CANARY);

/** The forms a token could take in an output: itself (any case), hex of its bytes, base64/base64url at each alignment. */
function needles(t: string): { text: string; caseless: boolean }[] {
  const out = [{ text: t, caseless: true }, { text: Buffer.from(t).toString('hex'), caseless: true }];
  for (let o = 0; o < 3; o++) {
    const b64 = Buffer.concat([Buffer.alloc(o), Buffer.from(t)]).toString('base64');
    const core = b64.slice(Math.ceil((8 * o) / 6), Math.floor((8 * (o + t.length)) / 6));
    out.push({ text: core, caseless: false }, { text: core.replace(/\+/g, '-').replace(/\//g, '_'), caseless: false });
  }
  return out;
}
const NEEDLES = TOKENS.flatMap((t) => needles(t).map((n) => ({ ...n, token: t })));

/** Where each canary form was found in `haystack` (empty: none). */
function hits(where: string, haystack: Buffer | string): string[] {
  const text = typeof haystack === 'string' ? haystack : haystack.toString('latin1');
  const lower = text.toLowerCase();
  return NEEDLES.filter((n) => (n.caseless ? lower.includes(n.text.toLowerCase()) : text.includes(n.text))).map((n) => `${where}: ${n.text} (token ${n.token})`);
}

function filesUnder(dir: string, skip: (path: string) => boolean = () => false): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (skip(path)) continue;
    if (entry.isDirectory()) out.push(...filesUnder(path, skip));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** A private folder whose names and EXIF carry the canaries: JPEG, PNG and WebP, nested folders, a duplicate, a broken file. */
async function canaryFolder(): Promise<string> {
  const root = join(tempDir('dprdm-canary-'), `private-${CANARY.root}`);
  const dirs = [join(root, `album-${CANARY.album}`), join(root, `${CANARY.nested}-trip`, `deeper-${CANARY.deeper}`), root];
  for (const d of dirs) mkdirSync(d, { recursive: true });
  const exif = { IFD0: { ImageDescription: `patient ${CANARY.description}`, Artist: `Dr ${CANARY.artist}`, Copyright: `(c) ${CANARY.copyright}`, Software: `scanner ${CANARY.software}` } };
  const sources = readdirSync(DEMO_FOLDER).sort().slice(300, 345);
  for (const [i, name] of sources.entries()) {
    const image = sharp(readFileSync(join(DEMO_FOLDER, name))).withExif(exif);
    const dir = dirs[i % dirs.length]!;
    const stem = i % 2 === 0 ? `photo-${CANARY.photo}-${i}` : `${CANARY.scan}_${i}`;
    const bytes = i % 3 === 0 ? await image.jpeg({ quality: 95 }).toBuffer() : i % 3 === 1 ? await image.png().toBuffer() : await image.webp({ quality: 95 }).toBuffer();
    writeFileSync(join(dir, `${stem}.${i % 3 === 0 ? 'jpg' : i % 3 === 1 ? 'png' : 'webp'}`), bytes);
    if (i === 0) writeFileSync(join(dirs[1]!, `copy-of-${stem}.jpg`), bytes); // a duplicate
  }
  writeFileSync(join(root, `broken-${CANARY.broken}.png`), Buffer.from('\x89PNG\r\n\x1a\nnot really a png'));
  return root;
}

describe('canary: nothing from the private folder leaves the process', () => {
  let home: string;
  let folder: string;
  let service: StudioService;
  let host: HttpHost;
  let api: StudioApi;
  let dataset: DatasetSummary;
  const captured: { where: string; data: Buffer | string }[] = [];
  const restore: (() => void)[] = [];
  let sse = '';
  const sseAbort = new AbortController();
  let sseDone: Promise<void> | undefined;
  const results: GenerationResult[] = [];
  const exportFolders: string[] = [];

  beforeAll(async () => {
    // Everything printed by this process (and by the model worker thread, piped through process.stdout/stderr).
    for (const stream of [process.stdout, process.stderr] as const) {
      const original = stream.write.bind(stream);
      stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        captured.push({ where: 'process output', data: typeof chunk === 'string' ? chunk : Buffer.from(chunk) });
        return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof stream.write;
      restore.push(() => void (stream.write = original as typeof stream.write));
    }
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      const original = console[method];
      console[method] = (...args: unknown[]) => {
        captured.push({ where: `console.${method}`, data: args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a) ?? String(a))).join(' ') });
        original.apply(console, args);
      };
      restore.push(() => void (console[method] = original));
    }

    home = tempDir('dprdm-canary-home-');
    folder = await canaryFolder();
    service = await createStudioService({ home });
    host = await startHttpHost({ handlers: service.handlers, subscribe: (l) => service.subscribe(l), resolveFile: (s) => service.resolveFile(s) });
    // Every HTTP response body the client receives.
    const recordingFetch: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (!String(input).endsWith('/api/events')) captured.push({ where: `HTTP ${String(input).replace(host.url, '/')} → ${res.status}`, data: Buffer.from(await res.clone().arrayBuffer()) });
      return res;
    };
    api = createHttpStudioApi({ baseUrl: host.url, token: host.token, fetch: recordingFetch });
    // The raw server-sent event stream.
    const events = await fetch(`${host.url}api/events`, { headers: { Authorization: `Bearer ${host.token}` }, signal: sseAbort.signal });
    sseDone = (async () => {
      const reader = events.body!.getReader();
      const decoder = new TextDecoder();
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          sse += decoder.decode(value, { stream: true });
        }
      } catch {
        // aborted at the end of the test
      }
    })();
  });

  afterAll(async () => {
    sseAbort.abort();
    await host?.close();
    await service?.close();
    for (const r of restore) r();
    cleanupTemp();
  });

  it('indexes the canary folder (quarantining the broken file, noting the duplicate)', async () => {
    dataset = await api['datasets.add']({ folder, epsilonCap: 20, jobId: 'canary-index' });
    expect(dataset.imageCount).toBe(45);
    expect(dataset.quarantinedCount).toBe(1);
    expect(dataset.duplicateCount).toBe(1);
    // Positive control: the curator's own view of the dataset does name the files, and the search finds them.
    const detail = await service.handlers['datasets.show']({ datasetId: dataset.id }, {});
    const curatorView = JSON.stringify(detail);
    expect(hits('datasets.show', curatorView).length).toBeGreaterThan(0);
    expect(curatorView).toContain(CANARY.broken);
    const exifSource = filesUnder(folder).find((f) => f.endsWith('.jpg'))!;
    expect(hits('source', readFileSync(exifSource)).join()).toContain(CANARY.description);
  });

  it('runs 50 generations (private and public-only), re-renders, an export and a CLI run', async () => {
    for (let i = 0; i < 50; i++) {
      const steps = 1 + (i % 2);
      const prompt = ['a red circle', 'a blue square on a white background', 'a striped star', 'a yellow cross'][i % 4]!;
      const request = i % 2 === 0 ? { datasetId: dataset.id, prompt, sigma: 2, images: 1, steps } : { datasetId: dataset.id, prompt, publicOnly: true, images: 1, steps };
      results.push(await api['generate.run']({ ...request, jobId: `canary-${i}` }));
    }
    expect(results.filter((r) => r.chargeSpent)).toHaveLength(25);
    expect((await api['ledger.show']({ datasetId: dataset.id })).entries).toHaveLength(25);
    results.push(await api['generate.rerender']({ generationId: results[0]!.generationId, seeds: [1, 2], steps: 2 }));
    results.push(await api['generate.rerender']({ generationId: results[1]!.generationId, guidance: 6 }));
    await api['prompt.check']({ prompt: 'a red circle with stripes' });
    await api['history.list']({});
    await api['history.list']({ datasetId: dataset.id });
    await api['datasets.list']({});
    await api['studio.info']({});
    await api['settings.get']({});
    await api['ledger.verify']({ datasetId: dataset.id });
    for (const format of ['json', 'csv'] as const) await api['ledger.export']({ datasetId: dataset.id, format });
    for (const r of results.slice(0, 6)) {
      for (const image of r.images) {
        const res = await fetch(`${host.url}${image.url.slice(1)}`, { headers: { Authorization: `Bearer ${host.token}` } });
        expect(res.status).toBe(200);
        captured.push({ where: `GET ${image.url}`, data: Buffer.from(await res.arrayBuffer()) });
      }
    }
    const exported = await api['export.images']({ imageIds: results.flatMap((r) => r.images.map((i) => i.imageId)), folder: 'canary-export' });
    exportFolders.push(exported.folder);
    expect(exported.files.filter((f) => f.endsWith('.png'))).toHaveLength(53);

    // The CLI on the same studio home: its stdout/stderr are captured too.
    const previous = process.env.DPRDM_HOME;
    process.env.DPRDM_HOME = home;
    try {
      for (const argv of [
        ['generate', '--dataset', dataset.id, '--prompt', 'a red circle', '--sigma', '2', '--images', '1', '--steps', '1', '--json'],
        ['generate', '--public-only', '--prompt', 'a red circle', '--images', '1', '--steps', '1'],
        ['generate', '--dataset', dataset.id, '--prompt', 'a red circle', '--epsilon', '100', '--images', '1', '--steps', '1'],
      ]) {
        const run = await runCli(argv);
        captured.push({ where: `dprdm ${argv.join(' ')} (stdout)`, data: run.stdout }, { where: `dprdm ${argv.join(' ')} (stderr)`, data: run.stderr });
        if (argv[0] === 'generate') {
          if (argv.includes('100')) expect(run.code).not.toBe(0);
          else {
            expect(run.code, run.stderr).toBe(0);
            const json = argv.includes('--json') ? (JSON.parse(run.stdout) as { export: { folder: string } }) : undefined;
            if (json) exportFolders.push(json.export.folder);
          }
        }
      }
      // Positive control: the curator's own dataset details name the folder, and the search finds it there.
      const shown = await runCli(['dataset', 'show', dataset.id, '--json']);
      expect(hits('dprdm dataset show', shown.stdout).join()).toContain(CANARY.root);
    } finally {
      if (previous === undefined) delete process.env.DPRDM_HOME;
      else process.env.DPRDM_HOME = previous;
    }
  });

  it('forced errors carry nothing from the private folder', async () => {
    const errors: (() => Promise<unknown>)[] = [
      // Schema violations, an unknown generation and image, an over-budget query, exports aimed at the private folder.
      () => api['generate.run']({ datasetId: dataset.id, prompt: 'a red circle', epsilon: 1, images: 99 }),
      () => api['generate.run']({ datasetId: dataset.id, prompt: '', epsilon: 1 }),
      () => api['generate.rerender']({ generationId: 'gen_00000000000000000000' }),
      () => api['export.images']({ imageIds: ['img_00000000000000000000'] }),
      () => api['generate.run']({ datasetId: dataset.id, prompt: 'a red circle', epsilon: 100, images: 1, steps: 1 }),
      () => api['generate.preview']({ datasetId: dataset.id, epsilon: 100 }),
      () => api['export.images']({ imageIds: [results[0]!.images[0]!.imageId], folder }),
      () => api['export.images']({ imageIds: [results[0]!.images[0]!.imageId], folder: join(folder, `album-${CANARY.album}`) }),
    ];
    const codes: string[] = [];
    for (const call of errors) {
      try {
        await call();
        codes.push('ok');
      } catch (error) {
        codes.push((error as { code: string }).code);
        captured.push({ where: 'client error', data: `${(error as Error).message} ${JSON.stringify(error)}` });
      }
    }
    expect(codes).toEqual(['INVALID_REQUEST', 'INVALID_REQUEST', 'NOT_FOUND', 'NOT_FOUND', 'BUDGET_EXCEEDED', 'ok', 'INVALID_REQUEST', 'INVALID_REQUEST']);
    // The dataset, exhausted for large queries and then removed: its generations and their images stay exportable.
    const exhausted = await rejectionOf(api['generate.run']({ datasetId: dataset.id, prompt: 'a red circle', epsilon: 50, images: 1, steps: 1 }));
    expect(exhausted.code).toBe('BUDGET_EXCEEDED');
    await api['datasets.remove']({ datasetId: dataset.id });
    const gone = await rejectionOf(api['generate.run']({ datasetId: dataset.id, prompt: 'a red circle', sigma: 2, images: 1, steps: 1 }));
    expect(gone.code).toBe('NOT_FOUND');
    const late = await api['export.images']({ imageIds: [results[0]!.images[0]!.imageId] });
    exportFolders.push(late.folder);
  });

  it('finds no canary in any response, event, output file, export or log', async () => {
    await new Promise((r) => setTimeout(r, 100)); // let the last events arrive
    sseAbort.abort();
    await sseDone;
    expect(sse).toContain('"type":"image"');
    expect(sse).toContain('"type":"preview"');
    await host.close();
    await service.close();

    const found: string[] = [];
    const responses = captured.filter((c) => c.where.startsWith('HTTP'));
    expect(responses.length).toBeGreaterThan(70);
    for (const c of captured) found.push(...hits(c.where, c.data));
    found.push(...hits('server-sent events', sse));
    // Everything under the studio home except the curator's own dataset index (ledger, history, generations, exports, settings).
    const indexRoot = join(home, 'datasets');
    const written = filesUnder(home, (p) => p === indexRoot);
    expect(written.some((f) => f.endsWith('ledger.sqlite'))).toBe(true);
    expect(written.some((f) => f.endsWith('history.sqlite'))).toBe(true);
    expect(written.filter((f) => f.includes('/generations/')).length).toBeGreaterThanOrEqual(50);
    for (const file of written) found.push(...hits(relative(home, file), readFileSync(file)));
    for (const dir of exportFolders) {
      expect(statSync(dir).isDirectory()).toBe(true);
      for (const file of filesUnder(dir)) found.push(...hits(file, readFileSync(file)));
    }
    expect(found).toEqual([]);
    // The private folder was not written to (no export or ledger inside it).
    expect(filesUnder(folder).every((f) => /\/(photo-[0-9a-f]+-\d+|[0-9a-f]+_\d+|copy-of-photo-[0-9a-f]+-0|broken-[0-9a-f]+)\.(jpg|png|webp)$/.test(f))).toBe(true);
  });
});
