/**
 * Builds the Electron main process and preload into out/electron/ with Vite (no Electron binary needed):
 *   main.js      ES module; core/ bundled in, npm packages (native modules included) and node: builtins external
 *   preload.cjs  CommonJS (sandboxed preloads cannot load ES modules); only `electron` external
 */
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'out', 'electron');
const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
const isBare = (id: string) => !id.startsWith('.') && !path.isAbsolute(id) && !id.startsWith('\0');

export async function buildElectron(): Promise<void> {
  await build({
    configFile: false,
    root,
    logLevel: 'warn',
    build: {
      outDir,
      emptyOutDir: true,
      target: 'node22',
      minify: false,
      sourcemap: true,
      ssr: path.join(root, 'electron', 'main.ts'),
      rollupOptions: { external: (id) => id === 'electron' || builtins.has(id) || isBare(id), output: { format: 'es', entryFileNames: 'main.js' } },
    },
  });
  await build({
    configFile: false,
    root,
    logLevel: 'warn',
    build: {
      outDir,
      emptyOutDir: false,
      target: 'node22',
      minify: false,
      ssr: path.join(root, 'electron', 'preload.ts'),
      rollupOptions: { external: ['electron'], output: { format: 'cjs', entryFileNames: 'preload.cjs' } },
    },
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildElectron();
  process.stdout.write(`built ${path.relative(root, outDir)}/main.js and preload.cjs\n`);
}
