/**
 * End to end: the real studio host (`dprdm serve`, temp DPRDM_HOME, the Demo dataset) and the built UI in
 * headless Chromium. Follows issue 7's flow: see the dataset → a folder of the Demo's own files is refused in
 * words → add a new folder → prompt → move the ε slider and watch the preview → generate → the grid fills → the
 * budget drops by the previewed amount → export writes files → a cancel mid-way says its charge stays spent →
 * exhaust a budget → the refusal shows what is left → public-only still works. Then screenshots of
 * every screen in light and dark, an accessibility smoke check and the keyboard-only path.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRenderer, rendererIsStale } from '../../renderer/build-if-missing.ts';
import { sliderFromEpsilon } from '../../renderer/src/lib/format.ts';
import { a11yProblems } from './support/a11y.ts';
import { launchChromium } from './support/browser.ts';
import { ROOT, startStudio, type StudioProcess } from './support/studio-process.ts';

const SCREENSHOTS = path.join(ROOT, 'test', 'e2e', 'screenshots');
/**
 * The committed pictures of the four screens (light and dark) are documentation: a run rewrites them only with
 * UPDATE_SCREENSHOTS=1, so `npm test` leaves the tree clean. Otherwise (and for the refusal and cancel states
 * always) it writes `*.tmp.png` beside them, which git ignores, to look at.
 */
const screenshotPath = (name: string, committed = true) => path.join(SCREENSHOTS, committed && process.env.UPDATE_SCREENSHOTS === '1' ? `${name}.png` : `${name}.tmp.png`);
/** The flow needs the studio service behind `dprdm serve` (issue 6); until it exists the suite is skipped, loudly. */
const SERVICE_READY = existsSync(path.join(ROOT, 'core', 'studio', 'service.ts'));
if (!SERVICE_READY) console.warn('e2e: core/studio/service.ts is not there yet; skipping the browser flow');
const VIEWPORT = { width: 1400, height: 900 };
const SCREENS = [
  ['generate', 'Generate'],
  ['datasets', 'Datasets'],
  ['budget', 'Budget & ledger'],
  ['evaluation', 'Evaluation'],
  ['settings', 'Settings'],
] as const;

const DEMO_FOLDER = path.join(ROOT, 'native-models', 'looks-v1', 'demo-private');
const CLINIC_IMAGES = 40;

/** The same picture with its top-left pixel nudged: a different file (and sha256), the same look. */
async function writeChangedCopy(from: string, to: string): Promise<void> {
  const { data, info } = await sharp(from).raw().toBuffer({ resolveWithObject: true });
  data[0] = data[0]! ^ 1;
  await sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } }).png().toFile(to);
}

let work: string;
let studio: StudioProcess;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!SERVICE_READY) return;
  if (rendererIsStale()) await buildRenderer();
  work = mkdtempSync(path.join(tmpdir(), 'dprdm-e2e-'));
  // A second, small private folder with a small budget, to exhaust quickly. Its images must be new ones: the
  // ledger knows an image by the sha256 of its bytes and refuses a dataset that shares images with the Demo.
  const folder = path.join(work, 'clinic-photos');
  mkdirSync(folder);
  const demoNames = readdirSync(DEMO_FOLDER).filter((n) => n.endsWith('.png'));
  const [studioStarted] = await Promise.all([startStudio(path.join(work, 'home')), ...demoNames.slice(0, CLINIC_IMAGES).map((name) => writeChangedCopy(path.join(DEMO_FOLDER, name), path.join(folder, name)))]);
  studio = studioStarted;
  // Images of another kind (smooth noise), for the far-from-the-model-set warning.
  mkdirSync(path.join(work, 'scans'));
  for (let i = 0; i < 12; i++) {
    const raw = Buffer.alloc(48 * 48 * 3).map((_, p) => (p * 7919 + i * 104729) % 251);
    await sharp(raw, { raw: { width: 48, height: 48, channels: 3 } }).blur(1 + (i % 3)).png().toFile(path.join(work, 'scans', `scan-${i}.png`));
  }
  // And a folder holding two of the Demo's own files, to see the overlap refusal.
  mkdirSync(path.join(work, 'demo-copies'));
  for (const name of demoNames.slice(-2)) cpSync(path.join(DEMO_FOLDER, name), path.join(work, 'demo-copies', name));
  browser = await launchChromium();
  context = await browser.newContext({ colorScheme: 'light', viewport: VIEWPORT });
  page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(studio.loginUrl);
});

afterAll(async () => {
  await browser?.close();
  await studio?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const nav = (p: Page, label: string) => p.getByRole('button', { name: label, exact: true }).click();
const sidebarRemaining = (p: Page) => p.locator('aside [data-testid="budget-remaining"]').innerText();
const text = (p: Page, testId: string) => p.getByTestId(testId).first().innerText();

async function setEpsilon(p: Page, epsilon: number): Promise<void> {
  // Exactly what dragging does: set the range input and fire `input`, on the log scale of the range it offers.
  const slider = p.locator('#epsilon-slider');
  const [min, max] = [Number(await slider.getAttribute('data-min-epsilon')), Number(await slider.getAttribute('data-max-epsilon'))];
  await slider.evaluate((el, position) => {
    const input = el as HTMLInputElement;
    input.value = String(position);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }, sliderFromEpsilon(epsilon, min, max));
  await expectText(p, 'epsilon-value', `ε ${epsilon}`);
}

async function expectText(p: Page, testId: string, expected: string | RegExp): Promise<void> {
  await expect.poll(() => text(p, testId), { timeout: 30_000 }).toMatch(expected instanceof RegExp ? expected : new RegExp(`^${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
}

/** The preview's numbers once they answer this ε for the selected dataset (it is debounced, and replies race). */
async function settledPreview(p: Page, epsilon: number): Promise<{ sigma: string; remaining: string; cumulative: string }> {
  const datasetId = await p.locator('#dataset-select').inputValue();
  await p.locator(`[data-testid="preview"][data-dataset="${datasetId}"][data-epsilon="${epsilon}"]`).waitFor({ timeout: 30_000 });
  return { sigma: await text(p, 'preview-sigma'), remaining: await text(p, 'preview-remaining'), cumulative: await text(p, 'preview-cumulative') };
}

async function generateAndWait(p: Page, images: number): Promise<void> {
  await p.getByTestId('generate').click();
  await expect.poll(() => p.locator('[data-testid="tile"]').count(), { timeout: 30_000 }).toBe(images);
  await expect.poll(() => p.locator('[data-testid="tile"][data-status="done"]').count(), { timeout: 240_000 }).toBe(images);
}

async function selectDataset(p: Page, name: string): Promise<void> {
  await p.locator('#dataset-select').selectOption({ label: name });
}

describe.skipIf(!SERVICE_READY)('the studio in a browser', () => {
  it('shows the Demo dataset and indexes a newly added folder with progress', async () => {
    await expect.poll(() => page.locator('#dataset-select option').allInnerTexts(), { timeout: 60_000 }).toContain('Demo');
    await nav(page, 'Datasets');
    const demoRow = page.locator('tr', { has: page.getByRole('button', { name: 'Show Demo' }) });
    expect(Number((await demoRow.locator('td.num').first().innerText()).replace(/,/g, ''))).toBeGreaterThan(0);

    // Images another dataset already holds are refused, in words a curator can act on; nothing is added.
    await page.locator('#folder-path').fill(path.join(work, 'demo-copies'));
    await page.getByRole('button', { name: 'Add and index' }).click();
    const overlap = page.locator('[role="alert"][data-code="INVALID_REQUEST"]');
    await overlap.waitFor({ timeout: 120_000 });
    expect(await overlap.innerText()).toMatch(/The folder was not added\.[\s\S]*2 of these images already belong to the dataset “Demo”/);
    expect(await page.locator('#dataset-select option').allInnerTexts()).toEqual(['Demo']);

    await page.locator('#folder-path').fill(path.join(work, 'clinic-photos'));
    await page.locator('#dataset-name').fill('Clinic');
    await page.locator('#dataset-cap').fill('1');
    await page.getByRole('button', { name: 'Add and index' }).click();
    await expect.poll(() => page.getByRole('status').allInnerTexts(), { timeout: 240_000 }).toContainEqual(expect.stringMatching(new RegExp(`Indexed “Clinic”: ${CLINIC_IMAGES} images`)));
    expect(await page.locator('[role="alert"]').count()).toBe(0); // the earlier refusal is gone
    const clinicRow = page.locator('tr', { has: page.getByRole('button', { name: 'Show Clinic' }) });
    expect(await clinicRow.locator('[data-testid="budget-remaining"]').innerText()).toBe('ε 1 left');
    await expect.poll(() => page.locator('#detail-heading').innerText()).toBe('Clinic');
    // What the cap buys, at add time and on the list: 40 images cannot carry their look at ε 0.01 a generation.
    expect((await page.getByRole('status').allInnerTexts()).join(' ')).toMatch(/About 100 generations left at ε 0\.01 each; there the folder’s look is weak/);
    expect(await clinicRow.getByTestId('cap-words').innerText()).toMatch(/weak/);
    expect(await demoRow.getByTestId('cap-words').innerText()).toMatch(/About 100 generations left at ε 0\.1 each; there the folder’s look is strong/);
    expect(await page.locator('[data-testid="unfamiliar"]').count()).toBe(0); // the Clinic's images are the model's kind

    // A folder of images unlike anything the model set knows is indexed, with a warning for the curator only.
    await page.locator('#folder-path').fill(path.join(work, 'scans'));
    await page.locator('#dataset-name').fill('Scans');
    await page.getByRole('button', { name: 'Add and index' }).click();
    await expect.poll(() => page.locator('#detail-heading').innerText(), { timeout: 120_000 }).toBe('Scans');
    await expect.poll(() => page.getByTestId('unfamiliar').count()).toBe(1);
    expect(await page.getByTestId('unfamiliar').innerText()).toMatch(/unlike anything the model set knows/);
  });

  it('previews the cost live, generates, fills the grid and charges exactly the previewed amount', async () => {
    await selectDataset(page, 'Demo');
    await nav(page, 'Generate');
    // An empty prompt offers the model set's suggestions (content only: the look is the folder's).
    await page.locator('#prompt').fill('');
    await page.getByTestId('example-prompts').getByRole('button', { name: 'a red star' }).click();
    expect(await page.locator('#prompt').inputValue()).toBe('a red star');
    await expect.poll(() => text(page, 'prompt-hints'), { timeout: 30_000 }).toMatch(/tokens, all known/);
    await page.getByText('Advanced settings').click();
    await page.locator('#adv-images').fill('2');
    await page.locator('#adv-steps').fill('10');

    await setEpsilon(page, 0.2);
    const low = await settledPreview(page, 0.2);
    await setEpsilon(page, 2);
    const high = await settledPreview(page, 2);
    expect(Number(high.sigma)).toBeLessThan(Number(low.sigma)); // more ε, less noise
    expect(high.remaining).not.toBe(low.remaining);

    await setEpsilon(page, 0.5);
    const preview = await settledPreview(page, 0.5);
    const before = await sidebarRemaining(page);
    await generateAndWait(page, 2);
    expect(await page.locator('[data-testid="tile"] img').first().getAttribute('src')).toMatch(/^\/files\//);
    expect(await page.locator('[data-testid="tile"]').first().innerText()).toMatch(/seed \d+/);
    // The meter now shows exactly what the preview promised would be left.
    await expect.poll(() => sidebarRemaining(page)).toBe(`${preview.remaining} left`);
    expect(before).not.toBe(`${preview.remaining} left`);

    await nav(page, 'Budget & ledger');
    const rows = page.locator('[data-testid="ledger-table"] tbody tr');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().locator('td').nth(2).innerText()).toBe('0.5');
    expect(`ε ${await rows.first().locator('td').nth(3).innerText()}`).toBe(preview.cumulative);
    await page.getByRole('button', { name: 'Verify ledger' }).click();
    await expect.poll(() => text(page, 'verify-status')).toMatch(/Verified: 1 rows?/);
  });

  it('exports the selected images with their provenance files', async () => {
    await nav(page, 'Generate');
    await page.getByRole('checkbox', { name: 'Select sample 1' }).check();
    await page.getByRole('checkbox', { name: 'Select sample 2' }).check();
    await page.getByTestId('export').click();
    await page.getByTestId('export-result').waitFor({ timeout: 60_000 });
    const folder = await page.getByTestId('export-result').locator('code').innerText();
    expect(existsSync(folder)).toBe(true);
    const files = readdirSync(folder);
    expect(files.filter((f) => f.endsWith('.png'))).toHaveLength(2);
    expect(files).toEqual(expect.arrayContaining(['manifest.json', 'PRIVACY.md']));
  });

  it('a recalled sample re-renders from the kept condition: the same pixels, nothing charged', async () => {
    const pixels = async (src: string) => (await sharp(Buffer.from(await (await fetch(`${studio.origin}${src}`)).arrayBuffer())).raw().toBuffer()).toString('base64');
    const original = await pixels((await page.locator('[data-testid="tile"] img').nth(1).getAttribute('src'))!);
    const before = await sidebarRemaining(page);
    await page.getByRole('button', { name: 'Recall the parameters of sample 2' }).click();
    await expect.poll(() => page.getByTestId('generate').innerText()).toBe('Generate · free (recalled condition)');
    expect(await page.getByTestId('reuses-condition').count()).toBe(1);
    await generateAndWait(page, 1);
    expect(await pixels((await page.locator('[data-testid="tile"] img').first().getAttribute('src'))!)).toBe(original);
    expect(await sidebarRemaining(page)).toBe(before);
    // a changed prompt is a new private query again
    await page.locator('#prompt').fill('a red star in a frame');
    await expect.poll(() => page.getByTestId('generate').innerText()).toMatch(/^Generate · ε /);
    await page.locator('#adv-images').fill('2');
  });

  it('cancelling a private generation mid-way says its charge stays spent', async () => {
    await page.locator('#prompt').fill('a green triangle');
    await page.locator('#adv-images').fill('4');
    await page.locator('#adv-sampler').selectOption('ddim');
    await page.locator('#adv-steps').fill('200'); // slow enough to catch it drawing (DDIM: DPM-Solver++ takes at most 100)
    await setEpsilon(page, 0.5);
    const preview = await settledPreview(page, 0.5);
    await page.getByTestId('generate').click();
    const cancel = page.getByTestId('cancel');
    // Once the private folder has been read the button itself says the charge is not coming back.
    await expect.poll(() => cancel.innerText(), { timeout: 60_000 }).toBe('Cancel (ε 0.5 stays spent)');
    await cancel.click();
    const notice = page.getByTestId('grid-notice');
    await notice.waitFor({ timeout: 60_000 });
    expect(await notice.innerText()).toMatch(/privacy charge for this generation \(ε 0\.5\) was already spent and is not refunded/);
    expect(await notice.getAttribute('class')).toContain('warn'); // budget spent for nothing is not good news
    expect(await page.locator('[data-testid="tile"][data-status="cancelled"]').count()).toBeGreaterThan(0);
    await expect.poll(() => page.locator('.history-item').first().innerText()).toMatch(/ε 0\.5 spent · \d+ images? \(cancelled\)/);
    await expect.poll(() => sidebarRemaining(page)).toBe(`${preview.remaining} left`);
    await page.screenshot({ path: screenshotPath('cancelled-light', false), fullPage: true });
    await page.locator('#adv-sampler').selectOption('dpmpp-2m');
    await page.locator('#adv-steps').fill('10');
  });

  it('the slider offers only what is left; a spend from elsewhere meets a refusal it can act on; then nothing fits', async () => {
    await selectDataset(page, 'Clinic');
    await page.locator('#adv-images').fill('1');
    await setEpsilon(page, 0.9);
    const preview = await settledPreview(page, 0.9);
    expect(await page.getByText('would exceed the budget').count()).toBe(0);
    await generateAndWait(page, 1);
    await expect.poll(() => sidebarRemaining(page)).toBe(`${preview.remaining} left`);
    const remaining = preview.remaining; // e.g. "ε 0.1"

    // The slider now ends at what is left: ε 0.9 is no longer on offer.
    await expect.poll(() => page.locator('#epsilon-scale').innerText()).toMatch(/all that is left/);
    const top = Number(await page.locator('#epsilon-slider').getAttribute('data-max-epsilon'));
    expect(top).toBeGreaterThan(0);
    expect(top).toBeLessThanOrEqual(Number(remaining.replace('ε ', '')));
    await page.locator('#epsilon-slider').evaluate((el) => {
      const input = el as HTMLInputElement;
      input.value = input.max;
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
    const atTop = await settledPreview(page, top);
    expect(atTop.remaining).not.toBe('over the cap');
    expect(await page.getByTestId('generate').isEnabled()).toBe(true);

    // Another face spends all the rest first: the CLI, a separate process on the same home, so nothing tells this tab
    // (a spend through this studio would reach the tab as an event, and it would update itself). Its Generate then
    // meets the ledger's refusal.
    const clinicId = await page.locator('#dataset-select').inputValue();
    const token = new URL(studio.loginUrl).searchParams.get('token')!;
    const api = async (channel: string, body: object) => {
      const res = await fetch(`${studio.origin}/api/${channel}`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.status, channel).toBe(200);
      return (await res.json()) as unknown;
    };
    const clinic = ((await api('datasets.list', {})) as { id: string; budget: { remainingEpsilon: number } }[]).find((d) => d.id === clinicId)!;
    const cli = spawnSync(
      process.execPath,
      [path.join(ROOT, 'bin', 'dprdm.js'), 'generate', '--dataset', clinicId, '--prompt', 'a blue square', '--epsilon', String(clinic.budget.remainingEpsilon * (1 - 1e-9)), '--images', '1', '--steps', '2', '--out', path.join(work, 'cli-out')],
      { env: { ...process.env, DPRDM_HOME: path.join(work, 'home') }, encoding: 'utf8', timeout: 120_000 },
    );
    expect(cli.status, cli.stderr).toBe(0);
    await page.getByTestId('generate').click();
    const refusal = page.locator('[role="alert"][data-code="BUDGET_EXCEEDED"]');
    await refusal.waitFor({ timeout: 60_000 });
    expect(await refusal.innerText()).toMatch(/Nothing was charged and no private image was read/);
    expect(await refusal.innerText()).not.toMatch(/ds_[0-9a-f]/); // no internal ids
    await page.screenshot({ path: screenshotPath('refusal-light', false), fullPage: true });

    // Nothing more fits: the slider is off and Generate says why.
    await expect.poll(() => page.locator('#epsilon-slider').isDisabled(), { timeout: 30_000 }).toBe(true);
    expect(await page.getByTestId('generate').isDisabled()).toBe(true);
    expect(await text(page, 'generate-blocker')).toMatch(/budget is spent: what is left \(under 0\.01 % of its cap\) buys nothing\. Public-only generation still works/);
    const left = await sidebarRemaining(page);

    await page.locator('#public-only').check();
    await expect.poll(() => page.getByTestId('generate').innerText()).toBe('Generate (public-only)');
    await generateAndWait(page, 1);
    expect(await page.locator('[role="alert"]').count()).toBe(0);
    expect(await sidebarRemaining(page)).toBe(left); // no charge
    expect(await text(page, 'generation-params')).toContain('Public-only');
  });

  it('evaluation: no run before the cost was checked and confirmed; the cost said once; then the report', async () => {
    await selectDataset(page, 'Demo');
    await nav(page, 'Evaluation');
    expect(await page.getByTestId('evaluation-run').count()).toBe(0);
    await page.getByLabel('Prompts per seed').fill('2');
    await page.getByLabel('Seeds').fill('1');
    await page.getByRole('button', { name: 'Check cost' }).click();
    const plan = page.getByTestId('evaluation-plan');
    await plan.waitFor({ timeout: 60_000 });
    expect(await plan.innerText()).toMatch(/^6 audit queries cost ε [\d.]+ of the ε [\d.]+ left\./);
    const run = page.getByTestId('evaluation-run');
    expect(await run.isDisabled()).toBe(true);
    expect(await text(page, 'evaluation-blocker')).toBe('Confirm that the report is for your eyes only.');
    await page.getByTestId('evaluation-confirm').check();
    expect(await run.isEnabled()).toBe(true);
    await run.click();
    await page.getByTestId('evaluation-table').waitFor({ timeout: 240_000 });
    expect(await page.getByTestId('evaluation-table').locator('tbody tr').count()).toBe(5);
    expect(await page.getByTestId('evaluation-run').count()).toBe(0); // spending again needs a new check
    // the sidebar's budget counts the audit charges, and the report stays while another screen is visited
    await expect.poll(() => page.locator('aside').innerText()).toMatch(/spent [\d.]+ on 8 private queries/);
    await nav(page, 'Generate');
    await nav(page, 'Evaluation');
    expect(await page.getByTestId('evaluation-table').count()).toBe(1);
  });

  it('every control is labelled on every screen, in light and dark; screenshots saved', async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    // The checker itself works: an unlabelled control is reported.
    await page.evaluate(() => document.body.insertAdjacentHTML('beforeend', '<input id="a11y-probe" type="text">'));
    expect(await a11yProblems(page)).toContainEqual({ element: expect.stringContaining('input#a11y-probe'), problem: 'no accessible name' });
    await page.evaluate(() => document.getElementById('a11y-probe')?.remove());

    await selectDataset(page, 'Demo');
    await nav(page, 'Generate');
    await page.locator('#public-only').uncheck();
    await page.getByText('Advanced settings').click(); // fold it again for the pictures
    await page.locator('#prompt').fill('a red star'); // the prompt of the images shown
    await setEpsilon(page, 0.5);
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const [file, label] of SCREENS) {
        await nav(page, label);
        if (file === 'generate') {
          await page.getByRole('button', { name: /^Show “a red star”/ }).last().click(); // the first generation, 2 images
          await expect.poll(() => page.locator('[data-testid="tile"][data-status="done"]').count()).toBe(2);
        }
        if (file === 'budget') {
          await page.getByRole('button', { name: 'Verify ledger' }).click();
          await expect.poll(() => text(page, 'verify-status')).toMatch(/Verified: \d+ rows, chain intact/);
        }
        await page.waitForTimeout(300);
        expect(await a11yProblems(page), `${file} (${scheme})`).toEqual([]);
        await page.screenshot({ path: screenshotPath(`${file}-${scheme}`), fullPage: true });
      }
    }
    expect(pageErrors).toEqual([]);
  });

  it('the main flow works from the keyboard alone', async () => {
    const keyboardPage = await context.newPage();
    await keyboardPage.emulateMedia({ colorScheme: 'light' });
    await keyboardPage.goto(studio.loginUrl); // a new tab: the token comes with the printed URL, never a cookie
    await expect.poll(() => keyboardPage.locator('#dataset-select option').count(), { timeout: 30_000 }).toBeGreaterThan(1);
    await keyboardPage.locator('#dataset-select').selectOption({ label: 'Clinic' });
    await keyboardPage.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());

    // Tab into the screen list; arrows move between screens.
    await keyboardPage.keyboard.press('Tab');
    expect(await keyboardPage.evaluate(() => document.activeElement?.id)).toBe('nav-generate');
    await keyboardPage.keyboard.press('ArrowDown');
    await expect.poll(() => keyboardPage.locator('h1').first().innerText()).toBe('Datasets');
    await keyboardPage.keyboard.press('ArrowUp');
    await expect.poll(() => keyboardPage.evaluate(() => document.activeElement?.id)).toBe('nav-generate');

    // Tab to the prompt, type, Tab to public-only, Space, Ctrl+Enter.
    for (let i = 0; i < 20 && (await keyboardPage.evaluate(() => document.activeElement?.id)) !== 'prompt'; i++) await keyboardPage.keyboard.press('Tab');
    expect(await keyboardPage.evaluate(() => document.activeElement?.id)).toBe('prompt');
    await keyboardPage.keyboard.type('a green square');
    await keyboardPage.keyboard.press('Tab');
    expect(await keyboardPage.evaluate(() => document.activeElement?.id)).toBe('public-only');
    await keyboardPage.keyboard.press('Space');
    await keyboardPage.keyboard.press('Control+Enter');
    await expect.poll(() => keyboardPage.locator('[data-testid="tile"][data-status="done"]').count(), { timeout: 240_000 }).toBeGreaterThan(0);
    await keyboardPage.close();
  });
});
