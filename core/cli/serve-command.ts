/**
 * `dprdm serve [--port N]`: the studio service behind the local HTTP host (127.0.0.1 only), serving the built UI.
 * Prints the one URL to open; runs until interrupted. The address survives restarts, so open tabs and bookmarks keep
 * working: the port is DEFAULT_STUDIO_PORT (or the next free one of a few after it) and the token is kept per studio
 * home in a file only its owner can read.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startHttpHost } from '../server/http-host.ts';
import { homeLayout } from '../paths.ts';
import { createStudioService, type StudioService } from '../studio/service.ts';
import { indexProgress } from './progress-bar.ts';
import { optionalNumber, parseFlags } from './flags.ts';
import type { CommandIO } from './io.ts';
import { UsageError } from './usage-error.ts';

export const RENDERER_DIST = fileURLToPath(new URL('../../renderer/dist/', import.meta.url));

export interface RunningStudio {
  readonly service: StudioService;
  readonly loginUrl: string;
  close(): Promise<void>;
}

export const DEFAULT_STUDIO_PORT = 8765;
/** How many ports after the default are tried before a random free one. */
const PORT_FALLBACKS = 10;

/** The studio home's access token: created once (0600), then the same on every start. */
export function hostToken(home: string): string {
  const file = homeLayout(home).hostToken;
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim();
    if (/^[A-Za-z0-9_-]{32,}$/.test(token)) {
      chmodSync(file, 0o600);
      return token;
    }
  }
  const token = randomBytes(24).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return token;
}

/** The default port, else the next free of a few after it, else a random free one; an explicit port is used as given. */
async function listenWithFallback(start: (port: number) => Promise<Awaited<ReturnType<typeof startHttpHost>>>, port: number | undefined) {
  if (port !== undefined) return start(port);
  for (let p = DEFAULT_STUDIO_PORT; p <= DEFAULT_STUDIO_PORT + PORT_FALLBACKS; p++) {
    try {
      return await start(p);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    }
  }
  return start(0);
}

/** Starts the service (creating the Demo dataset on first start) and the HTTP host. */
export async function startStudioHost(io: CommandIO, port?: number): Promise<RunningStudio> {
  const service = await createStudioService();
  try {
    await service.ensureDemoDataset(indexProgress(io, 'indexing the Demo dataset'));
  } catch (error) {
    io.stderr(`dprdm: could not create the Demo dataset (${(error as Error).message}); the studio starts without it\n`);
  }
  const hasUi = existsSync(`${RENDERER_DIST}index.html`);
  if (!hasUi) io.stderr('dprdm: the UI is not built (npm run build:renderer); serving the API only\n');
  const token = hostToken(service.home);
  const host = await listenWithFallback(
    (p) =>
      startHttpHost({
        handlers: service.handlers,
        subscribe: (listener) => service.subscribe(listener),
        resolveFile: (segments) => service.resolveFile(segments),
        ...(hasUi ? { staticRoot: RENDERER_DIST } : {}),
        port: p,
        token,
      }),
    port,
  );
  return {
    service,
    loginUrl: host.loginUrl,
    async close() {
      await host.close();
      await service.close();
    },
  };
}

/** Resolves on SIGINT/SIGTERM. */
export function untilInterrupted(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}

export async function serveCommand(argv: string[], io: CommandIO): Promise<number> {
  const flags = parseFlags(argv, { port: { type: 'string' } });
  const port = optionalNumber(flags, 'port');
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new UsageError(`--port must be an integer in 0..65535, got ${port}`);
  const studio = await startStudioHost(io, port);
  io.stdout(`DP-RDM Studio is running. Open this address in your browser (it carries your studio's access token and stays the same across restarts):\n  ${studio.loginUrl}\nPress Ctrl+C to stop.\n`);
  await untilInterrupted();
  await studio.close();
  return 0;
}
