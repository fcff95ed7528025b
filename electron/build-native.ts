/**
 * Builds the production dependencies that are not N-API modules for Electron's ABI, beside the app, without touching
 * the Node builds that the CLI, the HTTP host and the tests load. Today that is better-sqlite3 alone (sharp, usearch
 * and onnxruntime-node are N-API: one binary serves Node and Electron). The result, out/native/
 * better_sqlite3-electron-abi<N>.node, is what core/native/sqlite.ts passes to better-sqlite3 inside Electron.
 * Runs @electron/rebuild on a copy of the package (it fetches Electron's headers: a machine with internet).
 * `npm run build:native`; `npm run desktop`, `npm run dist` and Forge's generateAssets hook call it.
 */
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { electronSqliteBinding } from '../core/native/sqlite.ts';

/** Production dependencies with a non-N-API binary, and the file each build step produces. */
export const ELECTRON_NATIVE_BUILDS = { 'better-sqlite3': { binary: 'build/Release/better_sqlite3.node' } } as const;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

export async function buildNativeForElectron(arch: string = process.arch): Promise<string[]> {
  const { rebuild } = (await import('@electron/rebuild')) as unknown as { rebuild: (o: Record<string, unknown>) => Promise<void> };
  const { getAbi } = require('node-abi') as { getAbi: (target: string, runtime: string) => string };
  const electronVersion = (require('electron/package.json') as { version: string }).version;
  const abi = getAbi(electronVersion, 'electron');
  const work = path.join(root, 'out', 'native', 'work');
  rmSync(work, { recursive: true, force: true });
  const built: string[] = [];
  for (const [name, spec] of Object.entries(ELECTRON_NATIVE_BUILDS)) {
    const pkgDir = path.dirname(require.resolve(`${name}/package.json`));
    mkdirSync(path.join(work, 'node_modules'), { recursive: true });
    cpSync(pkgDir, path.join(work, 'node_modules', name), { recursive: true, filter: (src) => !src.includes(`${path.sep}build${path.sep}`) });
    writeFileSync(path.join(work, 'package.json'), JSON.stringify({ name: 'dprdm-native-build', version: '0.0.0', dependencies: { [name]: '*' } }));
    await rebuild({ buildPath: work, electronVersion, arch, onlyModules: [name], force: true });
    const out = electronSqliteBinding(abi, root);
    const binary = path.join(work, 'node_modules', name, spec.binary);
    if (!existsSync(binary)) throw new Error(`${name}: the Electron build produced no ${spec.binary}`);
    cpSync(binary, out);
    built.push(out);
  }
  rmSync(work, { recursive: true, force: true });
  return built;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const built = await buildNativeForElectron(process.argv[2] ?? process.arch);
  process.stdout.write(`built ${built.map((f) => path.relative(root, f)).join(', ')}\n`);
}
