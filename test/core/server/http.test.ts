// The local HTTP host in front of a real studio service: the private flow end to end over HTTP, then the host's
// guards (token, Host header, body limits and validation, path traversal) and per-dataset serialisation.
import { request } from 'node:http';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTextChunks } from '../../../core/export/png-text-chunks.ts';
import { fileSignature, startHttpHost, type HttpHost } from '../../../core/server/http-host.ts';
import type { DatasetSummary, GenerationResult, StudioApi } from '../../../core/contract/contract.ts';
import { createHttpStudioApi } from '../../../core/contract/http-client.ts';
import { createStudioService, type StudioService } from '../../../core/studio/service.ts';
import { cleanupTemp, EventLog, pngProvenance, privateFolder, rejectionOf, tempDir } from '../studio/helpers.ts';

interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
  readonly text: string;
}

const INDEX_HTML = '<!doctype html><title>studio</title>';
const SECRET = `secret-${Math.random().toString(36).slice(2)}`;

let home: string;
let service: StudioService;
let host: HttpHost;
let api: StudioApi;
let staticRoot: string;
const events = new EventLog();
let stopEvents: () => void;

/** A request with the raw path as given (fetch would normalise `..`), so traversal attempts reach the host as sent. */
function raw(method: string, path: string, options: { headers?: Record<string, string>; body?: string | Buffer; token?: string | null } = {}): Promise<RawResponse> {
  const headers: Record<string, string> = { ...(options.token === null ? {} : { Authorization: `Bearer ${options.token ?? host.token}` }), ...options.headers };
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: host.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

const post = (channel: string, body: unknown, headers: Record<string, string> = {}) =>
  raw('POST', `/api/${channel}`, { headers: { 'Content-Type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

beforeAll(async () => {
  home = tempDir('dprdm-http-home-');
  service = await createStudioService({ home });
  // A built "renderer" beside a file that must never be served.
  const site = tempDir('dprdm-http-site-');
  staticRoot = join(site, 'dist');
  mkdirSync(join(staticRoot, 'assets'), { recursive: true });
  writeFileSync(join(staticRoot, 'index.html'), INDEX_HTML);
  writeFileSync(join(staticRoot, 'assets', 'app.js'), 'console.log("app")');
  writeFileSync(join(site, 'secret.txt'), SECRET);
  writeFileSync(join(home, 'secret.txt'), SECRET);
  host = await startHttpHost({ handlers: service.handlers, subscribe: (l) => service.subscribe(l), resolveFile: (s) => service.resolveFile(s), staticRoot });
  api = createHttpStudioApi({ baseUrl: host.url, token: host.token });
  stopEvents = api.onEvent(events.push);
});

afterAll(async () => {
  stopEvents?.();
  await host?.close();
  await service?.close();
  cleanupTemp();
});

describe('private generation end to end over HTTP', () => {
  let dataset: DatasetSummary;
  let first: GenerationResult;

  it('indexes a folder (progress over SSE) and generates with the previewed charge', async () => {
    dataset = await api['datasets.add']({ folder: privateFolder(40), epsilonCap: 2.5, jobId: 'index-1' });
    expect(dataset.imageCount).toBe(40);
    await events.next((e) => e.type === 'job-end' && e.jobId === 'index-1');
    expect(events.forJob('index-1').some((e) => e.type === 'progress' && e.task === 'index')).toBe(true);

    const preview = await api['generate.preview']({ datasetId: dataset.id, epsilon: 1 });
    first = await api['generate.run']({ datasetId: dataset.id, prompt: 'a yellow triangle', epsilon: 1, images: 2, steps: 5, jobId: 'http-gen-1' });
    expect(first).toMatchObject({ chargeSpent: true, cancelled: false, publicOnly: false });
    expect(first.cumulativeEpsilon).toBeCloseTo(preview.cumulativeEpsilonAfter, 12);
    const ledger = await api['ledger.show']({ datasetId: dataset.id });
    expect(ledger.entries).toHaveLength(1);
    expect(ledger.entries[0]!.receiptId).toBe(first.receiptId);
    expect(ledger.budget.spentEpsilon).toBeCloseTo(preview.cumulativeEpsilonAfter, 12);

    // Each image arrived as an event and is served (with the token) with its provenance chunks.
    await events.next((e) => e.type === 'job-end' && e.jobId === 'http-gen-1');
    const imageEvents = events.forJob('http-gen-1').filter((e) => e.type === 'image');
    expect(imageEvents.map((e) => e.type === 'image' && e.image.imageId)).toEqual(first.images.map((i) => i.imageId));
    expect(events.forJob('http-gen-1').at(-1)).toMatchObject({ type: 'job-end', outcome: 'done' });
    for (const image of first.images) {
      const res = await raw('GET', image.url);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('image/png');
      const pathname = image.url.split('?')[0]!;
      expect(image.url).toBe(`${pathname}?sig=${fileSignature(host.token, pathname)}`);
      expect(res.body.equals(readFileSync(service.resolveFile(pathname.split('/').slice(2))!))).toBe(true);
      const { dprdm, parameters } = pngProvenance(res.body);
      expect(dprdm.privacy).toMatchObject({ mode: 'private', receiptId: first.receiptId, datasetId: dataset.id });
      expect(parameters).toContain(`Seed: ${image.seed}`);
      // the signed URL opens the image for an <img> without the token; the bare path does not
      expect((await raw('GET', image.url, { token: null })).status).toBe(200);
      expect((await raw('GET', pathname, { token: null })).status).toBe(401);
    }
  });

  it('refuses an over-budget query with 409 BUDGET_EXCEEDED and the remaining ε; public-only still works', async () => {
    let refused: RawResponse | undefined;
    for (let i = 0; i < 10 && !refused; i++) {
      const res = await post('generate.run', { datasetId: dataset.id, prompt: 'a white cross', epsilon: 1, images: 1, steps: 1 });
      if (res.status !== 200) refused = res;
    }
    expect(refused?.status).toBe(409);
    const body = JSON.parse(refused!.text) as { error: { code: string; message: string; remainingEpsilon: number; suggestion: string } };
    expect(body.error.code).toBe('BUDGET_EXCEEDED');
    const ledger = await api['ledger.show']({ datasetId: dataset.id });
    expect(body.error.remainingEpsilon).toBeCloseTo(ledger.budget.remainingEpsilon, 12);
    expect(body.error.suggestion).toMatch(/public-only/);
    // The client carries the code and the remaining budget unchanged.
    const error = await rejectionOf(api['generate.run']({ datasetId: dataset.id, prompt: 'a white cross', epsilon: 1, images: 1, steps: 1 }));
    expect(error).toMatchObject({ code: 'BUDGET_EXCEEDED', extra: { remainingEpsilon: body.error.remainingEpsilon } });

    const pub = await api['generate.run']({ datasetId: dataset.id, prompt: 'a white cross', publicOnly: true, images: 1, steps: 2 });
    expect(pub).toMatchObject({ publicOnly: true, chargeSpent: false, receiptId: null });
    expect((await raw('GET', pub.images[0]!.url)).status).toBe(200);
    expect((await api['ledger.show']({ datasetId: dataset.id })).entries).toHaveLength(ledger.entries.length);
  });

  it('exports inside <home>/exports only', async () => {
    const out = await api['export.images']({ imageIds: first.images.map((i) => i.imageId) });
    expect(out.folder.startsWith(join(home, 'exports') + '/')).toBe(true);
    expect(out.files).toEqual(expect.arrayContaining(['manifest.json', 'manifest.csv', 'PRIVACY.md']));
    const exported = readFileSync(join(out.folder, out.files[0]!));
    expect(readTextChunks(exported).has('parameters')).toBe(true);
    for (const folder of [tempDir('dprdm-http-out-'), '../../escape', '/etc/dprdm']) {
      const res = await post('export.images', { imageIds: [first.images[0]!.imageId], folder });
      expect(res.status, folder).toBe(400);
      expect(JSON.parse(res.text).error.code).toBe('INVALID_REQUEST');
    }
  });
});

describe('token and Host header', () => {
  it('answers 401 without the token or with a wrong one, on the API, its events and generated files', async () => {
    for (const token of [null, 'wrong', `${'x'.repeat(host.token.length)}`, `${host.token}x`, host.token.slice(0, -1)]) {
      for (const [method, path] of [
        ['POST', '/api/studio.info'],
        ['POST', '/api/generate.run'],
        ['GET', '/api/events'],
        ['GET', '/files/gen_x/01.png'],
      ] as const) {
        const res = await raw(method, path, { token, headers: method === 'POST' ? { 'Content-Type': 'application/json' } : {}, ...(method === 'POST' ? { body: '{}' } : {}) });
        expect(res.status, `${method} ${path} with ${token}`).toBe(401);
        expect(JSON.parse(res.text).error.code).toBe('UNAUTHORIZED');
      }
    }
    expect((await raw('POST', '/api/studio.info', { token: null, headers: { Authorization: `Basic ${host.token}`, 'Content-Type': 'application/json' }, body: '{}' })).status).toBe(401);
    // a cookie never authorises, not even one holding the right token
    expect((await raw('POST', '/api/studio.info', { token: null, headers: { Cookie: `dprdm_token=${host.token}`, 'Content-Type': 'application/json' }, body: '{}' })).status).toBe(401);
    // a file signature only opens the file it was made for
    const sig = fileSignature(host.token, '/files/gen_x/01.png');
    expect((await raw('GET', `/files/gen_y/01.png?sig=${sig}`, { token: null })).status).toBe(401);
    expect((await raw('GET', `/files/gen_x/01.png?sig=${sig}`, { token: null })).status).toBe(404); // signed, but no such image
  });

  it('serves the app shell for the printed URL without setting a cookie; the app carries the token itself', async () => {
    const page = await raw('GET', `/?token=${encodeURIComponent(host.token)}`, { token: null });
    expect(page.status).toBe(200);
    expect(page.text).toBe(INDEX_HTML);
    expect(page.headers['set-cookie']).toBeUndefined();
    // the shell is the public build of the renderer: served with or without a token
    expect((await raw('GET', '/', { token: null })).text).toBe(INDEX_HTML);
    expect((await raw('GET', '/assets/app.js', { token: null })).status).toBe(200);
  });

  it('refuses a request whose Origin is not the studio’s own, even with the token; its own origin is fine', async () => {
    for (const origin of ['http://evil.example', `http://127.0.0.1:${host.port + 1}`, 'null', `https://127.0.0.1:${host.port}`, `http://localhost.evil.example:${host.port}`]) {
      const res = await raw('POST', '/api/studio.info', { headers: { Origin: origin, 'Content-Type': 'application/json' }, body: '{}' });
      expect(res.status, origin).toBe(401);
      expect(res.text).toMatch(/another site/);
    }
    for (const origin of [`http://127.0.0.1:${host.port}`, `http://localhost:${host.port}`]) {
      expect((await raw('POST', '/api/studio.info', { headers: { Origin: origin, 'Content-Type': 'application/json' }, body: '{}' })).status).toBe(200);
    }
  });

  it('refuses a Host header that is not the loopback address, even with the token', async () => {
    for (const hostHeader of ['evil.example', `evil.example:${host.port}`, `127.0.0.1.evil.example:${host.port}`, `localhost.evil.example:${host.port}`, `127.0.0.1:${host.port + 1}`, '127.0.0.1', `[::1]:${host.port}`]) {
      const res = await raw('POST', '/api/studio.info', { headers: { Host: hostHeader, 'Content-Type': 'application/json' }, body: '{}' });
      expect(res.status, hostHeader).toBe(401);
      expect(res.text).toMatch(/loopback/);
    }
    expect((await raw('POST', '/api/studio.info', { headers: { Host: `localhost:${host.port}`, 'Content-Type': 'application/json' }, body: '{}' })).status).toBe(200);
  });
});

describe('request bodies', () => {
  const expectInvalid = (res: RawResponse, pattern: RegExp) => {
    expect(res.status).toBe(400);
    const body = JSON.parse(res.text) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('INVALID_REQUEST');
    expect(body.error.message).toMatch(pattern);
  };

  it('refuses oversized bodies with 400 and a clear message, and the connection stays usable', async () => {
    const big = JSON.stringify({ prompt: 'x'.repeat(200_000) });
    for (let i = 0; i < 5; i++) {
      // Declared length over the limit.
      expectInvalid(await post('prompt.check', big), /larger than the 65536-byte limit/);
      // Streamed (chunked, no Content-Length) past the limit, through fetch's keep-alive pool.
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let c = 0; c < 40; c++) controller.enqueue(new TextEncoder().encode('x'.repeat(4096)));
          controller.close();
        },
      });
      const res = await fetch(`${host.url}api/prompt.check`, { method: 'POST', headers: { Authorization: `Bearer ${host.token}`, 'Content-Type': 'application/json' }, body: stream, duplex: 'half' } as RequestInit);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/limit/);
      // The next call on the same pool works.
      expect((await api['prompt.check']({ prompt: 'a red circle' })).tokens).toBe(3);
    }
  });

  it('refuses malformed JSON, a wrong content type and non-POST API calls with 400', async () => {
    for (const text of ['{', '{"prompt": }', 'nul', '\u0000', '{"a":1}}']) expectInvalid(await post('prompt.check', text), /not valid JSON/);
    expectInvalid(await post('prompt.check', '{"prompt":"a"}', { 'Content-Type': 'text/plain' }), /JSON/);
    expectInvalid(await raw('GET', '/api/generate.run'), /POST/);
    const unknown = await post('no.such.channel', {});
    expect(unknown.status).toBe(404);
  });

  it('refuses schema violations with 400 naming the field', async () => {
    const base = { datasetId: 'ds_0123456789abcdef', prompt: 'a red circle', epsilon: 1 };
    expectInvalid(await post('generate.run', { ...base, images: 99 }), /images/);
    expectInvalid(await post('generate.run', { ...base, epsilon: -1 }), /epsilon/);
    expectInvalid(await post('generate.run', { ...base, steps: 1.5 }), /steps/);
    expectInvalid(await post('generate.run', { ...base, prompt: '   ' }), /prompt/);
    expectInvalid(await post('generate.run', { ...base, datasetId: '../../etc' }), /datasetId/);
    expectInvalid(await post('generate.run', { ...base, surprise: 1 }), /surprise/);
    expectInvalid(await post('generate.run', { ...base, sigma: 0.1 }), /epsilon or sigma, not both/);
    expectInvalid(await post('generate.run', [base]), /expected object/);
    expectInvalid(await post('generate.run', { ...base, seeds: [1, 2], images: 3 }), /seeds/);
    expectInvalid(await post('export.images', { imageIds: [] }), /imageIds/);
    expectInvalid(await post('generate.cancel', { jobId: 'a/b' }), /jobId/);
  });
});

describe('paths', () => {
  it('never serves a file outside the renderer and the generations folder', async () => {
    const attempts = [
      '/../secret.txt',
      '/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2e%2e%2fsecret.txt',
      '/..%2fsecret.txt',
      '/..%5csecret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
      '/%252e%252e/secret.txt',
      '//etc/passwd',
      '/%2fetc%2fpasswd',
      '/etc/passwd',
      `/${encodeURIComponent(join(home, 'secret.txt'))}`,
      `/${encodeURIComponent(join(home, 'ledger.sqlite'))}`,
      '/files/../secret.txt',
      '/files/..%2f..%2fsecret.txt',
      '/files/%2e%2e/%2e%2e/secret.txt',
      '/files/gen_x/..%2f..%2fsecret.txt',
      '/files/gen_x/..%2f..%2fledger.sqlite',
      '/files/..%2fledger.sqlite/x.png',
      `/files/${encodeURIComponent(join(home, 'secret.txt'))}`,
      '/files/gen_x/%00.png',
      '/files/%c0%ae%c0%ae/secret.txt',
      '/files/gen_x',
      '/files/gen_x/01.png/extra',
      '/assets/app.js%00.png',
      '/\\..\\secret.txt',
    ];
    for (const path of attempts) {
      const res = await raw('GET', path);
      expect(res.text, path).not.toContain(SECRET);
      expect(res.text, path).not.toContain('SQLite format');
      expect(res.text, path).not.toContain('root:');
      if (res.status === 200) expect(res.text, path).toBe(INDEX_HTML); // the single-page app's fallback
      else expect([400, 404], path).toContain(res.status);
      // Anything still under /files/ once the URL is normalised is an image lookup: unknown → 404, never the SPA.
      if (new URL(path, 'http://127.0.0.1').pathname.startsWith('/files/')) expect(res.status, path).toBe(404);
    }
    // The real files are served.
    expect((await raw('GET', '/assets/app.js')).text).toContain('app');
    expect((await raw('GET', '/')).text).toBe(INDEX_HTML);
  });
});

describe('per-dataset serialisation', () => {
  it('runs two concurrent generations of one dataset one after the other and charges both correctly', async () => {
    const dataset = await api['datasets.add']({ folder: privateFolder(40, 100), epsilonCap: 5 });
    const preview = await api['generate.preview']({ datasetId: dataset.id, epsilon: 0.8 });
    const request = (jobId: string) => api['generate.run']({ datasetId: dataset.id, prompt: 'a purple star', epsilon: 0.8, images: 3, steps: 15, jobId });
    const [a, b] = await Promise.all([request('serial-a'), request('serial-b')]);
    await events.next((e) => e.type === 'job-end' && e.jobId === 'serial-a');
    await events.next((e) => e.type === 'job-end' && e.jobId === 'serial-b');

    // One ran entirely before the other started: their events do not interleave.
    const order = events.events.filter((e) => e.jobId === 'serial-a' || e.jobId === 'serial-b').map((e) => e.jobId);
    const switches = order.filter((id, i) => i > 0 && id !== order[i - 1]).length;
    expect(switches).toBe(1);
    const [firstRun, secondRun] = order[0] === 'serial-a' ? [a, b] : [b, a];

    const ledger = await api['ledger.show']({ datasetId: dataset.id });
    expect(ledger.entries).toHaveLength(2);
    expect(ledger.entries.map((e) => e.receiptId)).toEqual([firstRun.receiptId, secondRun.receiptId]);
    expect(ledger.entries[0]!.cumulativeEpsilon).toBeCloseTo(preview.cumulativeEpsilonAfter, 12);
    const two = 2 * preview.epsilonCost; // costs add up to what the budget lost
    expect(ledger.entries[1]!.cumulativeEpsilon).toBeCloseTo(two, 9);
    expect(ledger.budget.spentEpsilon).toBeCloseTo(two, 9);
    // Each result reports the ledger as its own charge left it.
    expect(firstRun.cumulativeEpsilon).toBeCloseTo(ledger.entries[0]!.cumulativeEpsilon, 12);
    expect(secondRun.cumulativeEpsilon).toBeCloseTo(two, 9);
    expect(firstRun.images).toHaveLength(3);
    expect(secondRun.images).toHaveLength(3);
    for (const run of [firstRun, secondRun]) {
      const { dprdm } = pngProvenance((await raw('GET', run.images[0]!.url)).body);
      expect(dprdm.privacy).toMatchObject({ mode: 'private', receiptId: run.receiptId });
    }
  });
});
