/**
 * Where the studio keeps its own files (the ledger, indexes, settings). Never inside a private image folder.
 *
 * `DPRDM_HOME` overrides the location (tests, portable installs); otherwise the OS data directory:
 *   Linux   $XDG_DATA_HOME/dprdm-studio, default ~/.local/share/dprdm-studio
 *   macOS   ~/Library/Application Support/DP-RDM Studio
 *   Windows %APPDATA%\DP-RDM Studio
 */
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

export const LEDGER_FILE_NAME = 'ledger.sqlite';

export function studioHome(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  const override = env.DPRDM_HOME;
  if (override !== undefined && override.trim() !== '') return resolve(override);
  if (platform === 'win32') {
    const appData = env.APPDATA && isAbsolute(env.APPDATA) ? env.APPDATA : join(homedir(), 'AppData', 'Roaming');
    return join(appData, 'DP-RDM Studio');
  }
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'DP-RDM Studio');
  const xdg = env.XDG_DATA_HOME && isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : join(homedir(), '.local', 'share');
  return join(xdg, 'dprdm-studio');
}

/**
 * The studio home's layout, the one statement of it: every file and folder the studio keeps under its home
 * (docs/design.md §6). Nothing else joins names onto a home.
 */
export function homeLayout(home: string) {
  return {
    ledger: join(home, LEDGER_FILE_NAME),
    history: join(home, 'history.sqlite'),
    settings: join(home, 'settings.json'),
    datasets: join(home, 'datasets'),
    generations: join(home, 'generations'),
    evaluations: join(home, 'evaluations'),
    exports: join(home, 'exports'),
    /** The local host's access token (0600): the browser address stays the same across restarts. */
    hostToken: join(home, 'host-token'),
  } as const;
}

/** The ledger database: `<studioHome()>/ledger.sqlite`. */
export function defaultLedgerPath(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  return join(studioHome(env, platform), LEDGER_FILE_NAME);
}

/**
 * A path inside a packaged app's `app.asar`, moved to `app.asar.unpacked` where the packagers put the files that
 * native code opens by path (ONNX models, native bindings): native code cannot read inside the archive. Paths
 * outside an archive come back unchanged.
 */
export function outsideAsar(path: string): string {
  return path.replace(/([\\/])app\.asar([\\/])/, '$1app.asar.unpacked$2');
}
