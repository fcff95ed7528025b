/**
 * `npm start`: the desktop app when the Electron runtime is installed; otherwise the local studio host, with
 * the URL to open in a browser. Either way the Demo dataset exists after the first start.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFlags } from './flags.ts';
import type { CommandIO } from './io.ts';
import { serveCommand } from './serve-command.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The Electron binary if its package downloaded one (it cannot on offline machines), without importing it. */
export function electronBinary(): string | undefined {
  try {
    const pkg = createRequire(import.meta.url).resolve('electron/package.json');
    const dir = dirname(pkg);
    const relative = readFileSync(join(dir, 'path.txt'), 'utf8').trim();
    const binary = join(dir, 'dist', relative);
    return existsSync(binary) ? binary : undefined;
  } catch {
    return undefined;
  }
}

export async function startCommand(argv: string[], io: CommandIO): Promise<number> {
  const flags = parseFlags(argv, { browser: { type: 'boolean' } });
  const binary = flags.values.browser ? undefined : electronBinary();
  if (binary && (process.env.DISPLAY || process.platform !== 'linux')) {
    io.stdout('Starting the DP-RDM Studio desktop app…\n');
    const child = spawn('npm', ['run', 'desktop'], { cwd: ROOT, stdio: 'inherit', shell: process.platform === 'win32' });
    return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  }
  io.stdout(binary ? 'No display for the desktop window; starting the studio in your browser instead.\n' : 'The Electron runtime is not installed here; starting the studio in your browser instead.\n');
  return serveCommand(process.env.PORT ? ['--port', process.env.PORT] : [], io);
}
