// `electron . --smoke`: the main process runs the studio's smoke sequence with no window and exits with its verdict.
// Electron itself is mocked (its binary cannot run here); the studio underneath is the real one, its model host in a
// (stand-in) utility process.
import { afterAll, describe, expect, it, vi } from 'vitest';

const exit = vi.hoisted(() => ({ code: undefined as number | undefined, windows: 0 }));
vi.mock('electron', async () => ({
  // the model host's utility process, with Electron's API stood in by a real child process
  utilityProcess: (await import('./fake-utility-process.ts')).fakeUtilityProcess(),
  app: {
    requestSingleInstanceLock: () => true,
    enableSandbox: () => undefined,
    getAppPath: () => '/opt/dprdm-studio/resources/app.asar',
    whenReady: () => Promise.resolve(),
    on: () => undefined,
    quit: () => undefined,
    exit: (code: number) => void (exit.code = code),
  },
  BrowserWindow: class {
    constructor() {
      exit.windows++;
    }
  },
  protocol: { registerSchemesAsPrivileged: () => undefined, handle: () => undefined },
  ipcMain: { handle: () => undefined, removeHandler: () => undefined },
  dialog: { showErrorBox: () => void (exit.code = Number.NaN) },
  nativeTheme: { shouldUseDarkColors: false },
}));

describe('electron . --smoke', () => {
  const argv = process.argv;
  afterAll(() => {
    process.argv = argv;
  });

  it('runs the smoke sequence in the main process, opens no window, prints one JSON line and exits 0', { timeout: 120_000 }, async () => {
    process.argv = [...argv, '--smoke'];
    const written: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const main = await import('../../electron/main.ts');
      await main.ready;
    } finally {
      write.mockRestore();
    }
    expect(exit.code).toBe(0);
    expect(exit.windows).toBe(0);
    const report = JSON.parse(written.find((line) => line.startsWith('{"ok"'))!) as { ok: boolean; steps: unknown[] };
    expect(report.ok).toBe(true);
    expect(report.steps).toHaveLength(6);
  });
});
