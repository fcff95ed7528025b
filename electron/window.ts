import { BrowserWindow, nativeTheme } from 'electron';
import { APP_URL, lockDown, secureWebPreferences } from './security.ts';

/** The studio's one window: sandboxed, context-isolated, no Node, locked to the app's own origin. */
export function createMainWindow(preload: string): BrowserWindow {
  const window = new BrowserWindow({
    width: 1320,
    height: 880,
    minWidth: 900,
    minHeight: 620,
    show: false,
    title: 'DP-RDM Studio',
    backgroundColor: nativeTheme.shouldUseDarkColors ? '#14171c' : '#f6f7f9',
    autoHideMenuBar: true,
    webPreferences: secureWebPreferences(preload),
  });
  lockDown(window.webContents);
  window.once('ready-to-show', () => window.show());
  void window.loadURL(APP_URL);
  return window;
}
