import { beforeAll, describe, expect, it, vi } from 'vitest';
import { studioChannels } from '../../core/contract/contract.ts';
import { CONTENT_SECURITY_POLICY } from '../../electron/security.ts';
import { echoHandlers, eventFrom } from './fakes.ts';

// The whole Electron API is a mock: the shell's wiring is checked without the binary.
const m = vi.hoisted(() => {
  type Handler = (...args: unknown[]) => unknown;
  const on = () => {
    const listeners = new Map<string, Handler[]>();
    return {
      listeners,
      on: (name: string, fn: Handler) => void listeners.set(name, [...(listeners.get(name) ?? []), fn]),
      once: (name: string, fn: Handler) => void listeners.set(name, [...(listeners.get(name) ?? []), fn]),
      emit: (name: string, ...args: unknown[]) => (listeners.get(name) ?? []).map((fn) => fn(...args)),
    };
  };
  const windows: Array<Record<string, unknown>> = [];
  const appEvents = on();
  const ipcHandlers = new Map<string, Handler>();
  return { on, windows, appEvents, ipcHandlers };
});

vi.mock('electron', () => {
  const makeContents = () => {
    const events = m.on();
    const contents = {
      ...events,
      id: 7,
      mainFrame: { url: 'studio://app/index.html' },
      isDestroyed: () => false,
      send: vi.fn(),
      setWindowOpenHandler: vi.fn(),
      session: { setPermissionRequestHandler: vi.fn(), setPermissionCheckHandler: vi.fn() },
    };
    return contents;
  };
  class BrowserWindow {
    readonly webContents = makeContents();
    readonly events = m.on();
    readonly setProgressBar = vi.fn();
    readonly loadURL = vi.fn(async () => {});
    constructor(readonly options: Record<string, unknown>) {
      m.windows.push(this as never);
    }
    on(name: string, fn: (...args: unknown[]) => unknown) {
      this.events.on(name, fn);
    }
    once(name: string, fn: (...args: unknown[]) => unknown) {
      this.events.once(name, fn);
    }
    isDestroyed() {
      return false;
    }
    isMinimized() {
      return false;
    }
    show = vi.fn();
    focus = vi.fn();
    restore = vi.fn();
  }
  return {
    app: {
      requestSingleInstanceLock: vi.fn(() => true),
      enableSandbox: vi.fn(),
      getAppPath: () => '/opt/dprdm-studio/resources/app.asar',
      whenReady: vi.fn(() => Promise.resolve()),
      on: vi.fn((name: string, fn: (...args: unknown[]) => unknown) => m.appEvents.on(name, fn)),
      quit: vi.fn(),
      exit: vi.fn(),
    },
    BrowserWindow,
    nativeTheme: { shouldUseDarkColors: true },
    protocol: { registerSchemesAsPrivileged: vi.fn(), handle: vi.fn() },
    ipcMain: { handle: vi.fn((channel: string, fn: (...args: unknown[]) => unknown) => m.ipcHandlers.set(channel, fn)), removeHandler: vi.fn() },
    dialog: { showOpenDialog: vi.fn(async () => ({ canceled: false, filePaths: ['/data/photos'] })), showErrorBox: vi.fn() },
  };
});

const service = vi.hoisted(() => ({ listeners: [] as Array<(event: unknown) => void>, handlers: undefined as unknown, close: undefined as unknown }));
vi.mock('../../electron/studio-service.ts', () => ({
  startStudioService: async () => ({
    handlers: service.handlers,
    subscribe: (listener: (event: unknown) => void) => {
      service.listeners.push(listener);
      return () => undefined;
    },
    resolveFile: () => undefined,
    close: service.close,
  }),
}));

type Mocked = Record<string, ReturnType<typeof vi.fn>>;
let electron: { app: Mocked; protocol: Mocked };
interface FakeWindow {
  options: { webPreferences: Record<string, unknown>; backgroundColor: string };
  setProgressBar: ReturnType<typeof vi.fn>;
  loadURL: ReturnType<typeof vi.fn>;
  webContents: {
    send: ReturnType<typeof vi.fn>;
    setWindowOpenHandler: ReturnType<typeof vi.fn>;
    emit: (name: string, ...args: unknown[]) => unknown[];
    session: Record<string, ReturnType<typeof vi.fn>>;
    mainFrame: { url: string };
  };
}
let window: FakeWindow;

beforeAll(async () => {
  service.handlers = echoHandlers();
  service.close = vi.fn(async () => {});
  electron = (await import('electron')) as unknown as typeof electron;
  const main = await import('../../electron/main.ts');
  await main.ready;
  expect(m.windows).toHaveLength(1);
  window = m.windows[0] as never;
});

describe('electron/main.ts', () => {
  it('registers the studio:// scheme as privileged before ready and turns the sandbox on everywhere', () => {
    expect(electron.protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([expect.objectContaining({ scheme: 'studio', privileges: expect.objectContaining({ standard: true, secure: true }) })]);
    expect(electron.app.enableSandbox).toHaveBeenCalled();
    expect(electron.app.requestSingleInstanceLock).toHaveBeenCalled();
    expect(electron.protocol.handle).toHaveBeenCalledWith('studio', expect.any(Function));
  });

  it('opens one sandboxed, context-isolated window without Node and with the preload, on the app origin', () => {
    const prefs = window.options.webPreferences;
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, nodeIntegrationInWorker: false, webviewTag: false, webSecurity: true, allowRunningInsecureContent: false });
    expect(String(prefs.preload)).toMatch(/preload\.cjs$/);
    expect(window.loadURL).toHaveBeenCalledWith('studio://app/index.html');
    expect(window.options.backgroundColor).toBe('#14171c'); // follows the OS theme (mocked dark)
  });

  it('blocks new windows, navigation away from the app, webviews and permission requests', () => {
    const openHandler = window.webContents.setWindowOpenHandler.mock.calls[0]?.[0] as () => unknown;
    expect(openHandler()).toEqual({ action: 'deny' });
    const prevent = vi.fn();
    window.webContents.emit('will-navigate', { preventDefault: prevent }, 'https://example.com/');
    expect(prevent).toHaveBeenCalledTimes(1);
    window.webContents.emit('will-navigate', { preventDefault: prevent }, 'studio://app/index.html');
    expect(prevent).toHaveBeenCalledTimes(1);
    window.webContents.emit('will-redirect', { preventDefault: prevent }, 'file:///etc/passwd');
    window.webContents.emit('will-attach-webview', { preventDefault: prevent });
    expect(prevent).toHaveBeenCalledTimes(3);
    const permission = window.webContents.session.setPermissionRequestHandler!.mock.calls[0]?.[0] as (c: unknown, p: string, cb: (ok: boolean) => void) => void;
    const callback = vi.fn();
    permission(undefined, 'media', callback);
    expect(callback).toHaveBeenCalledWith(false);
    expect(electron.app.on).toHaveBeenCalledWith('web-contents-created', expect.any(Function));
  });

  it('a strict CSP: scripts and styles only from the app, no objects, frames or form posts', () => {
    for (const directive of ["script-src 'self'", "style-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "form-action 'none'", "base-uri 'none'"]) {
      expect(CONTENT_SECURITY_POLICY).toContain(directive);
    }
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe');
  });

  it('has an IPC handler for every contract channel, answering only the app window', async () => {
    for (const channel of Object.keys(studioChannels)) expect(m.ipcHandlers.has(`studio:${channel}`)).toBe(true);
    expect(m.ipcHandlers.has('studio-shell:pick-folder')).toBe(true);
    const listHandler = m.ipcHandlers.get('studio:datasets.list') as (event: unknown, payload: unknown) => Promise<unknown>;
    await expect(listHandler(eventFrom(window.webContents, window.webContents.mainFrame), {})).resolves.toMatchObject({ ok: true });
    await expect(listHandler(eventFrom({ id: 99 }, { url: 'studio://app/index.html' }), {})).resolves.toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    const picker = m.ipcHandlers.get('studio-shell:pick-folder') as (event: unknown) => Promise<unknown>;
    await expect(picker(eventFrom(window.webContents, window.webContents.mainFrame))).resolves.toEqual({ ok: true, value: '/data/photos' });
  });

  it('forwards studio events to the window and shows job progress in the taskbar', () => {
    const emit = (event: unknown) => service.listeners.forEach((listener) => listener(event));
    emit({ type: 'progress', jobId: 'j1', task: 'generate', phase: 'sampling', done: 1, total: 4 });
    expect(window.webContents.send).toHaveBeenLastCalledWith('studio:event', expect.objectContaining({ jobId: 'j1' }));
    expect(window.setProgressBar).toHaveBeenLastCalledWith(0.25);
    emit({ type: 'job-end', jobId: 'j1', outcome: 'done' });
    expect(window.setProgressBar).toHaveBeenLastCalledWith(-1);
  });

  it('closes the studio service when the last window closes', async () => {
    m.appEvents.emit('window-all-closed');
    await vi.waitFor(() => expect(electron.app.quit).toHaveBeenCalled());
    expect(service.close).toHaveBeenCalledOnce();
  });
});
