/**
 * Builds the preload into out/electron/preload.cjs with Vite (no Electron binary needed). It is the only
 * bundled file of the shell: sandboxed preloads cannot load ES modules or TypeScript, so it becomes one
 * CommonJS file with only `electron` external. The main process runs from source through tsx
 * (electron/main.mjs), like the CLI.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'out', 'electron');

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
      ssr: path.join(root, 'electron', 'preload.ts'),
      rollupOptions: { external: ['electron'], output: { format: 'cjs', entryFileNames: 'preload.cjs' } },
    },
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildElectron();
  process.stdout.write(`built ${path.relative(root, outDir)}/preload.cjs\n`);
}
