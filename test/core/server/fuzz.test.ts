// A bounded fuzz of the local API on loopback: a few thousand random and mutated requests (bad JSON, wrong types,
// huge numbers, NaN strings, prototype keys, path tricks, wrong methods and content types, missing, wrong and
// foreign-origin tokens). The host never crashes, never answers 5xx, changes nothing without the token, and no
// refused request charges the ledger. Seeded: every run sends the same requests.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpHost, type HttpHost } from '../../../core/server/http-host.ts';
import { studioChannels, type DatasetSummary } from '../../../core/contract/contract.ts';
import { createStudioService, type StudioService } from '../../../core/studio/service.ts';
import { cleanupTemp, localApi, privateFolder, tempDir } from '../studio/helpers.ts';

const REQUESTS = 3000;

/** A small seeded generator (tests only; the product's randomness is node:crypto). */
function lcg(seed: number) {
  let state = seed >>> 0;
  const next = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]! };
}

const rng = lcg(20261201);
const CHANNELS = Object.keys(studioChannels);
const WEIRD_VALUES: unknown[] = [
  null, true, false, 0, -1, 1e308, -1e308, 1e-320, 2 ** 53 + 1, 'NaN', 'Infinity', '-0', '', ' ', '\u0000', '../../etc/passwd', '..\\..\\x',
  'ds_0123456789abcdef', 'x'.repeat(5000), '💥', [], [1, 2, 3], {}, { __proto__: { polluted: true } }, { constructor: { prototype: { x: 1 } } },
];
const KEYS = ['datasetId', 'prompt', 'epsilon', 'sigma', 'k', 'q', 'lambda', 'images', 'guidance', 'steps', 'seeds', 'publicOnly', 'jobId', 'folder', 'imageIds', 'generationId', 'format', 'budgets', 'dryRun', 'confirmNonPrivate', '__proto__', 'constructor', 'prototype'];
const PATHS = ['/api/', '/api/%2e%2e/files', '/api/../../etc/passwd', '/files/../ledger.sqlite', '/files/gen_x/..%2f..%2fledger.sqlite', '/files/%00', '/api/generate.run/', '/api/GENERATE.RUN', '/%2e%2e/%2e%2e/', '/api/events?x=1'];

function randomValue(depth = 0): unknown {
  const r = rng.next();
  if (depth > 3 || r < 0.4) return rng.pick(WEIRD_VALUES);
  if (r < 0.6) return rng.next() * 10 ** rng.int(12) * (rng.next() < 0.5 ? -1 : 1);
  if (r < 0.8) return Array.from({ length: rng.int(4) }, () => randomValue(depth + 1));
  return Object.fromEntries(Array.from({ length: rng.int(5) }, () => [rng.pick(KEYS), randomValue(depth + 1)]));
}

function randomBody(): string {
  const r = rng.next();
  if (r < 0.15) return '{"datasetId": ';
  if (r < 0.25) return Buffer.from(Array.from({ length: rng.int(200) }, () => rng.int(256))).toString('latin1');
  if (r < 0.3) return `${'['.repeat(5000)}${']'.repeat(5000)}`;
  return JSON.stringify(randomValue());
}

interface Reply {
  status: number;
  text: string;
}

function send(host: HttpHost, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: host.port, agent: false, method, path, headers: { Host: `127.0.0.1:${host.port}`, ...headers } }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout: ${method} ${path}`)));
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

describe('HTTP hardening', () => {
  let service: StudioService;
  let host: HttpHost;
  let dataset: DatasetSummary;

  beforeAll(async () => {
    service = await createStudioService({ home: tempDir('dprdm-fuzz-home-') });
    dataset = await localApi(() => service)('datasets.add', { folder: privateFolder(3), epsilonCap: 2 });
    host = await startHttpHost({ handlers: service.handlers, subscribe: (l) => service.subscribe(l), resolveFile: (s) => service.resolveFile(s) });
  }, 60_000);
  afterAll(async () => {
    await host?.close();
    await service?.close();
    cleanupTemp();
  });

  it(`survives ${REQUESTS} random and mutated requests: no 5xx, no change without the token, no charge by a refused request`, { timeout: 120_000 }, async () => {
    const ledgerBefore = JSON.stringify(await service.handlers['ledger.show']({ datasetId: dataset.id }, {}));
    const statuses = new Map<number, number>();
    for (let i = 0; i < REQUESTS; i++) {
      const tokenKind = rng.int(4); // 0 none, 1 wrong, 2 right, 3 right but from a foreign origin
      const headers: Record<string, string> = {};
      if (tokenKind === 1) headers.Authorization = rng.pick([`Bearer ${host.token}x`, 'Bearer ', `Basic ${host.token}`, `bearer ${host.token}`]);
      if (tokenKind >= 2) headers.Authorization = `Bearer ${host.token}`;
      if (tokenKind === 3) headers.Origin = rng.pick(['http://evil.example', 'null', `http://127.0.0.1:${host.port + 1}`]);
      headers['Content-Type'] = rng.next() < 0.85 ? 'application/json' : rng.pick(['text/plain', 'application/x-www-form-urlencoded', '']);
      const method = rng.next() < 0.85 ? 'POST' : rng.pick(['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);
      const path = rng.next() < 0.85 ? `/api/${rng.pick(CHANNELS)}` : rng.pick(PATHS);
      // never a request that would legitimately spend: a valid private generation of the real dataset
      let body = method === 'GET' ? undefined : randomBody();
      if (body?.includes(dataset.id)) body = body.replaceAll(dataset.id, 'ds_ffffffffffffffff');
      const reply = await send(host, method, path, headers, body).catch((error: Error) => {
        throw new Error(`${error.message}: ${method} ${path} ${JSON.stringify(headers)} ${body?.slice(0, 120)}`);
      });
      statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
      expect(reply.status, `${method} ${path} ${body?.slice(0, 80)}`).toBeLessThan(500);
      // without a valid token (or from a foreign origin) no API call gets past the door
      if (tokenKind !== 2 && new URL(path, 'http://127.0.0.1').pathname.startsWith('/api/')) expect(reply.status, `${method} ${path}`).toBe(401);
    }
    // the host is still up and answers a well-formed call
    const ok = await send(host, 'POST', '/api/studio.info', { Authorization: `Bearer ${host.token}`, 'Content-Type': 'application/json' }, '{}');
    expect(ok.status).toBe(200);
    expect(JSON.stringify(await service.handlers['ledger.show']({ datasetId: dataset.id }, {}))).toBe(ledgerBefore);
    expect(await service.handlers['history.list']({}, {})).toEqual([]);
    expect([...statuses.keys()].every((s) => s < 500)).toBe(true);
  });
});
