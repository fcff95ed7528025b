/**
 * `dprdm serve [--port N]`: the studio service behind the local HTTP host (127.0.0.1 only, a fresh token per
 * run), serving the built UI. Prints the one URL to open; runs until interrupted.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startHttpHost } from '../server/http-host.ts';
import { createStudioService, type StudioService } from '../studio/service.ts';
import { indexProgress } from './dataset-command.ts';
import { optionalNumber, parseFlags } from './flags.ts';
import type { CommandIO } from './io.ts';
import { UsageError } from './usage-error.ts';

export const RENDERER_DIST = fileURLToPath(new URL('../../renderer/dist/', import.meta.url));

export interface RunningStudio {
  readonly service: StudioService;
  readonly loginUrl: string;
  close(): Promise<void>;
}

/** Starts the service (creating the Demo dataset on first start) and the HTTP host. */
export async function startStudioHost(io: CommandIO, port = 0): Promise<RunningStudio> {
  const service = await createStudioService();
  try {
    await service.ensureDemoDataset(indexProgress(io, 'indexing the Demo dataset'));
  } catch (error) {
    io.stderr(`dprdm: could not create the Demo dataset (${(error as Error).message}); the studio starts without it\n`);
  }
  const hasUi = existsSync(`${RENDERER_DIST}index.html`);
  if (!hasUi) io.stderr('dprdm: the UI is not built (npm run build:renderer); serving the API only\n');
  const host = await startHttpHost({
    handlers: service.handlers,
    subscribe: (listener) => service.subscribe(listener),
    resolveFile: (segments) => service.resolveFile(segments),
    ...(hasUi ? { staticRoot: RENDERER_DIST } : {}),
    port,
  });
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
  const port = optionalNumber(flags, 'port') ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be an integer in 0..65535, got ${port}`);
  const studio = await startStudioHost(io, port);
  io.stdout(`DP-RDM Studio is running. Open this address in your browser (it carries this run's access token):\n  ${studio.loginUrl}\nPress Ctrl+C to stop.\n`);
  await untilInterrupted();
  await studio.close();
  return 0;
}
