/**
 * Starts the real studio host the way a user does — `dprdm serve` — in a child process with its own
 * DPRDM_HOME, and reads the address (with its token) from what it prints.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface StudioProcess {
  readonly loginUrl: string;
  readonly origin: string;
  readonly output: () => string;
  stop(): Promise<void>;
}

const URL_WITH_TOKEN = /(http:\/\/127\.0\.0\.1:\d+)\/?\?token=([A-Za-z0-9_-]+)/;

/** `port` 0 (the default) takes any free port; a fixed one lets a restarted studio keep its address. */
export async function startStudio(home: string, timeoutMs = 180_000, port = 0): Promise<StudioProcess> {
  const child: ChildProcess = spawn(process.execPath, [path.join(ROOT, 'bin', 'dprdm.js'), 'serve', '--port', String(port)], {
    cwd: ROOT,
    env: { ...process.env, DPRDM_HOME: home, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => void (output += chunk.toString());
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const found = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dprdm serve printed no URL within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const check = () => {
      const match = output.match(URL_WITH_TOKEN);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    };
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`dprdm serve exited (${code}) before printing its URL:\n${output}`));
    });
  });
  const origin = found[1] as string;
  return {
    loginUrl: `${origin}/?token=${found[2]}`,
    origin,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
