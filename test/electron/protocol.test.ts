import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAppProtocolHandler, resolveAppUrl } from '../../electron/protocol.ts';
import { taskbarProgress } from '../../electron/progress.ts';

const root = mkdtempSync(path.join(tmpdir(), 'dprdm-protocol-'));
const renderer = path.join(root, 'dist');
const outputs = path.join(root, 'outputs');
mkdirSync(path.join(renderer, 'assets'), { recursive: true });
mkdirSync(path.join(outputs, 'g1'), { recursive: true });
writeFileSync(path.join(renderer, 'index.html'), '<!doctype html><title>studio</title>');
writeFileSync(path.join(renderer, 'assets', 'app.js'), 'console.log(1)');
writeFileSync(path.join(outputs, 'g1', '0.png'), 'PNG');
writeFileSync(path.join(root, 'secret.txt'), 'secret');

/** Like the service's resolver: two segments, inside the outputs directory only. */
const resolveFile = (segments: readonly string[]) => (segments.length === 2 && segments.every((s) => /^[\w.-]+$/.test(s) && s !== '..') ? path.join(outputs, ...segments) : undefined);
const handler = createAppProtocolHandler({ rendererRoot: renderer, resolveFile });
const get = (url: string) => handler(new Request(url));

describe('the studio:// protocol', () => {
  it('serves the renderer with the CSP and nosniff headers', async () => {
    const res = await get('studio://app/index.html');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await (await get('studio://app/assets/app.js')).text()).toBe('console.log(1)');
    expect((await get('studio://app/')).status).toBe(200);
  });

  it('serves generated images only through the service’s resolver', async () => {
    const res = await get('studio://app/files/g1/0.png');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect((await get('studio://app/files/g1/missing.png')).status).toBe(404);
    expect((await get('studio://app/files/..%2Fsecret.txt/x')).status).toBe(404);
  });

  it('never leaves renderer/dist: traversal, encoded separators and foreign hosts are refused', async () => {
    // The URL parser folds %2e%2e away; what remains must still lie inside renderer/dist.
    expect(resolveAppUrl('studio://app/%2e%2e/secret.txt', { rendererRoot: renderer, resolveFile })?.file.startsWith(renderer + path.sep)).toBe(true);
    expect(resolveAppUrl('studio://app/assets%2F..%2F..%2Fsecret.txt', { rendererRoot: renderer, resolveFile })).toBeUndefined();
    expect(resolveAppUrl('studio://app/%E0%A4%A', { rendererRoot: renderer, resolveFile })).toBeUndefined();
    expect(resolveAppUrl('studio://evil/index.html', { rendererRoot: renderer, resolveFile })).toBeUndefined();
    expect(resolveAppUrl('file:///etc/passwd', { rendererRoot: renderer, resolveFile })).toBeUndefined();
    const body = await (await get('studio://app/%2e%2e/secret.txt')).text();
    expect(body).not.toContain('secret');
    expect((await handler(new Request('studio://app/index.html', { method: 'POST', body: 'x' }))).status).toBe(405);
  });

  it('falls back to index.html for unknown app paths (single-page app)', async () => {
    const res = await get('studio://app/budget');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<title>studio</title>');
  });
});

describe('taskbar progress', () => {
  it('shows the least advanced running job and clears when none is left', () => {
    const calls: number[] = [];
    const progress = taskbarProgress({ setProgressBar: (p) => calls.push(p), isDestroyed: () => false });
    progress({ type: 'progress', jobId: 'a', task: 'index', phase: 'embedding', done: 50, total: 100 });
    progress({ type: 'progress', jobId: 'b', task: 'generate', phase: 'sampling', done: 1, total: 4 });
    progress({ type: 'preview', jobId: 'b', imageIndex: 0, step: 1, steps: 2, pngDataUrl: '' });
    progress({ type: 'job-end', jobId: 'b', outcome: 'done' });
    progress({ type: 'job-end', jobId: 'a', outcome: 'cancelled' });
    expect(calls).toEqual([0.5, 0.25, 0.5, -1]);
  });
});
