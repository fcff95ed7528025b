/**
 * `npm start` runs this first: builds the renderer into renderer/dist when it is missing or older than its
 * sources, so `npm install && npm start` serves the UI on a fresh clone. Prints one line either way.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const built = join(here, 'dist', 'index.html');

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(full) : statSync(full).mtimeMs);
  }
  return latest;
}

/** True when renderer/dist is missing or older than renderer/src, renderer/index.html or the contract folder (core/contract/). */
export function rendererIsStale(): boolean {
  let builtAt: number;
  try {
    builtAt = statSync(built).mtimeMs;
  } catch {
    return true;
  }
  const sources = Math.max(newest(join(here, 'src')), statSync(join(here, 'index.html')).mtimeMs, newest(join(here, '..', 'core', 'contract')));
  return sources > builtAt;
}

export async function buildRenderer(): Promise<void> {
  const { build } = await import('vite');
  await build({ configFile: join(here, '..', 'vite.config.ts'), logLevel: 'warn' });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (rendererIsStale()) {
    process.stdout.write('Building the studio UI (renderer/dist)…\n');
    await buildRenderer();
  }
}
