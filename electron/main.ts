/**
 * DP-RDM Studio — Electron main process. A table of contents; each step lives in its own module.
 *
 *   1. before ready:  one instance, the privileged `studio://` scheme, sandbox everywhere, lock down all contents
 *   2. start services: the studio service (models and search in worker threads)
 *   3. serve the app:  renderer + generated images through `studio://app/` (studio directories only)
 *   4. open the window: sandboxed, context-isolated, strict CSP
 *   5. register IPC:   every contract channel through one checked `handle()`, plus the folder picker
 *   6. forward events: progress to the renderer and to the taskbar
 *   7. shut down:      close the service when the last window closes
 *
 * With `--smoke` (a packaging machine's check of a built app) it opens no window: it runs the studio's smoke
 * sequence (core/studio/smoke.ts) inside this main process, prints one JSON line and exits 0 when all of it worked.
 */
import path from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, protocol } from 'electron';
import { IPC_EVENT_CHANNEL } from './bridge.ts';
import { registerShellIpc, registerStudioIpc, trustedSender } from './ipc.ts';
import { taskbarProgress } from './progress.ts';
import { registerAppScheme, serveAppProtocol } from './protocol.ts';
import { lockDown } from './security.ts';
import { runSmoke } from '../core/studio/smoke.ts';
import { desktopModelSpawn, startStudioService, type DesktopStudioService } from './studio-service.ts';
import { createMainWindow } from './window.ts';

/** This file is bundled into out/electron/main.mjs (electron/build.ts), beside the preload. */
const PRELOAD = path.join(app.getAppPath(), 'out', 'electron', 'preload.cjs');
const RENDERER_ROOT = path.join(app.getAppPath(), 'renderer', 'dist');

// 1. before ready
if (!app.requestSingleInstanceLock()) app.quit();
registerAppScheme(protocol);
app.enableSandbox();
app.on('web-contents-created', (_event, contents) => lockDown(contents));

export const ready: Promise<void> = app.whenReady().then(process.argv.includes('--smoke') ? smoke : start, fail);

async function smoke(): Promise<void> {
  const report = await runSmoke({ modelSpawn: desktopModelSpawn() });
  process.stdout.write(`${JSON.stringify(report)}\n`);
  app.exit(report.ok ? 0 : 1);
}

async function start(): Promise<void> {
  // 2. start services
  const studio = await startStudioService();
  // 3. serve the app
  serveAppProtocol(protocol, { rendererRoot: RENDERER_ROOT, resolveFile: studio.resolveFile });
  // 4. open the window
  const window = createMainWindow(PRELOAD);
  const closing = new AbortController();
  window.on('closed', () => closing.abort());
  // 5. register IPC
  const isTrusted = trustedSender(() => (window.isDestroyed() ? undefined : window.webContents));
  const unregister = registerStudioIpc(ipcMain, studio.handlers, isTrusted, closing.signal);
  registerShellIpc(ipcMain, isTrusted, { pickFolder: () => pickFolder(window) });
  // 6. forward events
  const stopEvents = forwardEvents(studio, window);
  app.on('second-instance', () => focus(window));
  // 7. shut down
  app.on('window-all-closed', () => {
    stopEvents();
    unregister();
    void studio.close().finally(() => app.quit());
  });
}

function forwardEvents(studio: DesktopStudioService, window: BrowserWindow): () => void {
  const progress = taskbarProgress(window);
  return studio.subscribe((event) => {
    if (window.isDestroyed()) return;
    window.webContents.send(IPC_EVENT_CHANNEL, event);
    progress(event);
  });
}

async function pickFolder(window: BrowserWindow): Promise<string | undefined> {
  const result = await dialog.showOpenDialog(window, { title: 'Choose a folder of private images', properties: ['openDirectory'] });
  return result.canceled ? undefined : result.filePaths[0];
}

function focus(window: BrowserWindow): void {
  if (window.isDestroyed()) return;
  if (window.isMinimized()) window.restore();
  window.focus();
}

function fail(error: unknown): void {
  dialog.showErrorBox('DP-RDM Studio could not start', `${error instanceof Error ? error.message : String(error)}\n\nRun "npx dprdm serve" from a terminal to see more.`);
  app.exit(1);
}
