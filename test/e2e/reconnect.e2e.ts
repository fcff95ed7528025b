/**
 * A stable address (issue 13, item 4): the studio restarted on the same home keeps its port and token, so a tab
 * opened before the restart says the studio is gone while it is, then reconnects by itself — no reload, no new
 * address — and works again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRenderer, rendererIsStale } from '../../renderer/build-if-missing.ts';
import { launchChromium } from './support/browser.ts';
import { startStudio, type StudioProcess } from './support/studio-process.ts';

let work: string;
let studio: StudioProcess | undefined;
let browser: Browser;
let page: Page;

/** A port free right now (the studio's own fallback would move off a busy one, and this test wants to see it kept). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  if (rendererIsStale()) await buildRenderer();
  work = mkdtempSync(path.join(tmpdir(), 'dprdm-reconnect-'));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await studio?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('a tab across a studio restart', () => {
  it('shows the studio gone, then reconnects by itself on the same address and token', async () => {
    const home = path.join(work, 'home');
    const port = await freePort();
    studio = await startStudio(home, 180_000, port);
    const first = studio.loginUrl;
    page = await browser.newPage();
    await page.goto(first);
    await expect.poll(() => page.locator('#dataset-select option').allInnerTexts(), { timeout: 60_000 }).toContain('Demo');
    expect(page.url()).not.toContain('token='); // the address bar holds no token; the tab keeps it

    await studio.stop();
    await page.getByTestId('connection-lost').waitFor({ timeout: 30_000 });

    studio = await startStudio(home, 180_000, port);
    expect(studio.loginUrl).toBe(first); // same port, same token
    await expect.poll(() => page.getByTestId('connection-lost').count(), { timeout: 30_000 }).toBe(0);
    // and it works without a reload: a call through the API answers
    await page.getByRole('button', { name: 'Datasets', exact: true }).click();
    await expect.poll(() => page.locator('tr', { has: page.getByRole('button', { name: 'Show Demo' }) }).count(), { timeout: 30_000 }).toBe(1);
    expect(await page.locator('[role="alert"]').count()).toBe(0);
  }, 300_000);
});
