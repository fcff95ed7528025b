/**
 * Builds the desktop app's JavaScript into out/electron/ (no Electron binary needed):
 *  - preload.cjs with Vite: sandboxed preloads cannot load ES modules or TypeScript, so one CommonJS file with
 *    only `electron` external;
 *  - main.mjs, model-worker.mjs and parquet-worker.mjs with esbuild: the main process with the core/ it uses, and
 *    the entry points of the model worker and the Parquet reading threads (core/models/model-host.ts and
 *    core/datasets/parquet-threads.ts start them when they lie beside the bundle), as plain JavaScript. No
 *    TypeScript source and no transpiler ship in the packaged app; `npm run desktop` runs the same build.
 *    Native modules stay external (they load their own binaries), and so does `electron`.
 * Both bundles sit two folders below the app root, like core/<folder>/, so paths the core resolves from its own
 * location (the package.json, native-models/, out/native/) mean the same thing in sources and bundles.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build as esbuild } from 'esbuild';
import { build } from 'vite';

/** Packages that must not be bundled: Electron itself and modules with native binaries. */
export const MAIN_EXTERNALS = ['electron', 'better-sqlite3', 'sharp', 'usearch', 'onnxruntime-node'] as const;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'out', 'electron');

export async function buildElectron(): Promise<void> {
  rmSync(outDir, { recursive: true, force: true });
  await esbuild({
    absWorkingDir: root,
    entryPoints: { main: path.join(root, 'electron', 'main.ts'), 'model-worker': path.join(root, 'core', 'models', 'model-worker.ts'), 'parquet-worker': path.join(root, 'core', 'datasets', 'parquet-worker.ts') },
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    external: [...MAIN_EXTERNALS],
    sourcemap: false,
    logLevel: 'warning',
    // Bundled CommonJS dependencies may call require(); give the ES module bundle one.
    banner: { js: "import { createRequire as __dprdmCreateRequire } from 'node:module'; const require = __dprdmCreateRequire(import.meta.url);" },
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
  process.stdout.write(`built ${path.relative(root, outDir)}/{main.mjs,model-worker.mjs,parquet-worker.mjs,preload.cjs}\n`);
}
