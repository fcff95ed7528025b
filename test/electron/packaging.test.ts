import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';

// electron-builder's own loader and schema validator (app-builder-lib's scheme.json): no binary, no network.
const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
  getConfig(projectDir: string, configPath: string | null, configFromOptions: unknown): Promise<Record<string, unknown>>;
  validateConfiguration(config: unknown, debugLogger: unknown): Promise<void>;
};
const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled?: boolean) => unknown };

/** electron-builder normalises `files` to [{ filter: [...] }]; this reads either form. */
type Files = (string | { filter?: string[] })[];
const patterns = (files: Files | undefined): string[] => (files ?? []).flatMap((f) => (typeof f === 'string' ? [f] : (f.filter ?? [])));
type Target = string | { target: string; arch?: string[] };
interface BuilderConfig {
  npmRebuild: boolean;
  electronFuses: Record<string, boolean>;
  asar: boolean;
  asarUnpack: Files;
  files: Files;
  directories: { buildResources: string; output: string };
  mac: { target: Target[]; files: Files };
  win: { target: Target[]; files: Files };
  linux: { target: Target[]; files: Files };
}

let config: BuilderConfig;
beforeAll(async () => {
  config = (await getConfig(root, path.join(root, 'electron-builder.yml'), null)) as unknown as BuilderConfig;
});

describe('electron-builder.yml', () => {
  it('is valid against electron-builder’s JSON schema', async () => {
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
  });

  it('the validator does reject a broken config (the check is live)', async () => {
    await expect(validateConfiguration({ ...config, npmRebuild: 'no' }, new DebugLogger(false))).rejects.toThrow(/npmRebuild/);
    await expect(validateConfiguration({ ...config, mac: { target: 'dmg', notAnOption: true } }, new DebugLogger(false))).rejects.toThrow(/configuration\.mac/);
  });

  it('builds dmg, nsis, AppImage and deb from build/ without rebuilding native modules', () => {
    expect(config.npmRebuild).toBe(false);
    expect(config.directories.buildResources).toBe('build');
    const names = (targets: Target[]) => targets.map((t) => (typeof t === 'string' ? t : t.target));
    expect(names(config.mac.target)).toEqual(['dmg']);
    expect(names(config.win.target)).toEqual(['nsis']);
    expect(names(config.linux.target)).toEqual(['AppImage', 'deb']);
  });

  it('unpacks native modules, libonnxruntime and the models from the asar archive', () => {
    expect(config.asar).toBe(true);
    for (const pattern of ['**/*.node', '**/libonnxruntime*', 'node_modules/onnxruntime-node/**', 'node_modules/better-sqlite3/**', 'node_modules/sharp/**', 'node_modules/usearch/**', 'native-models/**']) {
      expect(config.asarUnpack).toContain(pattern);
    }
  });

  it('ships only the target platform’s onnxruntime binaries', () => {
    const others = { mac: ['linux', 'win32'], win: ['linux', 'darwin'], linux: ['darwin', 'win32'] } as const;
    for (const [platform, excluded] of Object.entries(others) as [keyof typeof others, readonly string[]][]) {
      const files = patterns(config[platform].files);
      for (const os of excluded) expect(files).toContain(`!node_modules/onnxruntime-node/bin/napi-v*/${os}/**`);
      const own = { mac: 'darwin', win: 'win32', linux: 'linux' }[platform];
      expect(files.some((f) => f.includes(`/${own}/`))).toBe(false);
    }
  });

  it('packages what the app runs (the bundled main process and worker, built renderer, preload, models) and no sources, tests or training data', () => {
    const files = patterns(config.files);
    expect(files).toEqual(expect.arrayContaining(['out/electron/**', 'renderer/dist/**', '!native-models/*/train/**']));
    expect(files.some((f) => /^(test|bench|core|electron|renderer\/src)\b/.test(f))).toBe(false);
    for (const worker of ['model-worker.mjs', 'parquet-worker.mjs']) expect(config.asarUnpack).toContain(`out/electron/${worker}`); // worker threads load them from disk
  });

  it('points Electron at the bundled main process, which the desktop build makes', async () => {
    const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { main: string; scripts: Record<string, string> };
    expect(pkg.main).toBe('out/electron/main.mjs');
    expect(pkg.scripts.desktop).toMatch(/build:desktop && electron \./);
    expect(pkg.scripts['build:desktop']).toContain('build:electron');
  });

  it('bundles main and the model worker into plain JavaScript: no TypeScript import, no tsx; the built worker serves models in plain Node', { timeout: 120_000 }, async () => {
    const { buildElectron, MAIN_EXTERNALS } = await import('../../electron/build.ts');
    await buildElectron();
    for (const file of ['main.mjs', 'model-worker.mjs', 'parquet-worker.mjs', 'preload.cjs']) expect(existsSync(path.join(root, 'out', 'electron', file)), file).toBe(true);
    for (const file of ['main.mjs', 'model-worker.mjs', 'parquet-worker.mjs']) {
      const code = readFileSync(path.join(root, 'out', 'electron', file), 'utf8');
      const specifiers = [...code.matchAll(/\bfrom\s+"([^"]+)"|\bimport\("([^"]+)"\)/g)].map((m) => m[1] ?? m[2]!);
      expect(specifiers.filter((s) => s.endsWith('.ts') || s === 'tsx' || s.startsWith('tsx/')), file).toEqual([]);
      expect(specifiers.filter((s) => !s.startsWith('node:') && !(MAIN_EXTERNALS as readonly string[]).includes(s)), file).toEqual([]);
    }
    // The built worker, exactly as the bundled main process starts it, loads the model set and answers.
    const { Worker } = await import('node:worker_threads');
    const workerFile = path.join(root, 'out', 'electron', 'model-worker.mjs');
    const worker = new Worker(workerFile, { workerData: { entry: workerFile, dir: path.join(root, 'native-models', 'looks-v1'), options: { provider: 'cpu' } } });
    try {
      const first = await new Promise<{ type: string }>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      expect(first.type).toBe('ready');
    } finally {
      await worker.terminate();
    }
    // The built Parquet reading thread reads a task of a file the test writes.
    const dir = mkdtempSync(path.join(tmpdir(), 'dprdm-built-parquet-'));
    try {
      const file = path.join(dir, 'rows.parquet');
      const { parquetWriteBuffer } = await import('hyparquet-writer');
      writeFileSync(file, Buffer.from(parquetWriteBuffer({ columnData: [{ name: 'id', data: ['a', 'b'] }, { name: 'embedding', data: [new Uint8Array(new Float32Array([1, 0]).buffer), new Uint8Array(new Float32Array([0, 1]).buffer)], type: 'BYTE_ARRAY' }] })));
      const reader = new Worker(path.join(root, 'out', 'electron', 'parquet-worker.mjs'), { workerData: { task: { file, dim: 2, idColumn: 'id', embeddingColumn: 'embedding', groups: [0, 1], rowStart: 0 } } });
      const done = await new Promise<{ type: string; ids?: string[]; data?: Float32Array }>((resolve, reject) => {
        reader.on('message', (m: { type: string }) => m.type !== 'group' && resolve(m));
        reader.once('error', reject);
      });
      await reader.terminate();
      expect(done).toMatchObject({ type: 'done', ids: ['a', 'b'] });
      expect(Array.from(done.data!)).toEqual([1, 0, 0, 1]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('forge.config.ts', () => {
  it('type-checks against @electron-forge/shared-types', () => {
    const parsed = ts.getParsedCommandLineOfConfigFile(path.join(root, 'tsconfig.electron.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
    if (!parsed) throw new Error('tsconfig.electron.json did not parse');
    const program = ts.createProgram([path.join(root, 'forge.config.ts')], { ...parsed.options, noEmit: true });
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(diagnostics).toEqual([]);
  }, 120_000);

  it('does not rebuild native modules, unpacks them, and drops other platforms’ onnxruntime', async () => {
    const { default: forge } = await import('../../forge.config.ts');
    expect(forge.rebuildConfig?.onlyModules).toEqual([]);
    const asar = forge.packagerConfig?.asar as { unpack: string };
    expect(asar.unpack).toContain('**/*.node');
    expect(asar.unpack).toContain('**/libonnxruntime*');
    expect(typeof forge.hooks?.packageAfterPrune).toBe('function');
    expect(typeof forge.hooks?.generateAssets).toBe('function');
    const ignore = forge.packagerConfig?.ignore as RegExp[];
    const ignored = (p: string) => ignore.some((re) => re.test(p));
    expect(ignored('/test/electron/ipc.test.ts')).toBe(true);
    expect(ignored('/core/contract/contract.ts')).toBe(true); // bundled into out/electron/main.mjs
    expect(ignored('/out/electron/main.mjs')).toBe(false);
    expect(ignored('/out/native/better_sqlite3-electron-abi140.node')).toBe(false);
    expect(ignored('/native-models/looks-v1/train/models.py')).toBe(true);
    // the Evaluation screen reads the demo folder's captions
    expect(ignored('/native-models/looks-v1/eval/demo-private-captions.json')).toBe(false);
    expect(ignored('/renderer/src/App.svelte')).toBe(true);
    expect(ignored('/renderer/dist/index.html')).toBe(false);
    expect(ignored('/out/electron/main.js')).toBe(false);
    expect(ignored('/native-models/looks-v1/decoder_unet.onnx')).toBe(false);
    expect(ignored('/package.json')).toBe(false);
  });
});

// ---- what a built app needs on every platform it is built for ---------------------------------------------------

const PLATFORM = { mac: 'darwin', win: 'win32', linux: 'linux' } as const;

/** Every (platform, arch) an installer is built for. */
function installerTargets(c: BuilderConfig): { platform: 'darwin' | 'win32' | 'linux'; arch: string; target: string }[] {
  return (['mac', 'win', 'linux'] as const).flatMap((os) =>
    c[os].target.flatMap((t) => (typeof t === 'string' ? [{ target: t, arch: ['x64'] }] : [{ target: t.target, arch: t.arch ?? ['x64'] }])).flatMap((t) => t.arch.map((arch) => ({ platform: PLATFORM[os], arch, target: t.target }))),
  );
}

/** The production dependency tree (package directories), from package.json's dependencies down. */
function productionPackages(): string[] {
  const seen = new Map<string, string>();
  const visit = (name: string, from: string) => {
    let dir: string;
    try {
      dir = path.dirname(createRequire(path.join(from, 'package.json')).resolve(`${name}/package.json`));
    } catch {
      return; // an optional dependency for another platform
    }
    if (seen.has(dir)) return;
    seen.set(dir, name);
    const pkg = require(path.join(dir, 'package.json')) as { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) visit(dep, dir);
  };
  const root_pkg = require(path.join(root, 'package.json')) as { dependencies: Record<string, string> };
  for (const dep of Object.keys(root_pkg.dependencies)) visit(dep, root);
  return [...seen.keys()];
}

function nativeBinaries(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (entry.name === 'node_modules') continue;
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith('.node')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

describe('native modules and binaries for every installer', () => {
  it('every production dependency whose binary is not N-API has an Electron build step (so the next one cannot slip in)', async () => {
    const { ELECTRON_NATIVE_BUILDS } = await import('../../electron/build-native.ts');
    const abiSpecific = new Set<string>();
    let napi = 0;
    for (const dir of productionPackages()) {
      for (const binary of nativeBinaries(dir)) {
        const bytes = readFileSync(binary);
        // N-API modules register through napi_register_module_v1; ABI-specific ones through node_register_module_v<N>.
        if (bytes.includes('napi_register_module_v1')) napi++;
        else if (bytes.includes('node_register_module_v')) abiSpecific.add(require(path.join(dir, 'package.json')).name as string);
      }
    }
    expect(napi).toBeGreaterThan(0);
    expect([...abiSpecific].sort()).toEqual(Object.keys(ELECTRON_NATIVE_BUILDS).sort());
    expect([...abiSpecific]).toContain('better-sqlite3');
  });

  it('inside Electron the ledger opens better-sqlite3 from its Electron build, and says how to make one when it is missing', async () => {
    const { electronSqliteBinding, sqliteBindingForThisRuntime } = await import('../../core/native/sqlite.ts');
    expect(sqliteBindingForThisRuntime({ ...process.versions, electron: undefined } as never)).toBeUndefined();
    expect(() => sqliteBindingForThisRuntime({ ...process.versions, electron: '45.5.0', modules: '999' } as never)).toThrow(/npm run build:native/);
    expect(electronSqliteBinding('140', '/app')).toBe(path.join('/app', 'out', 'native', 'better_sqlite3-electron-abi140.node'));
    expect(patterns(config.files)).toContain('out/native/*.node');
    expect(config.asarUnpack).toContain('out/native/**');
    const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['build:desktop']).toContain('build:native');
    expect(pkg.scripts.dist).toContain('build:desktop');
  });

  it('every installer target has its onnxruntime, sharp and usearch binaries', () => {
    const targets = installerTargets(config);
    expect(targets.map((t) => `${t.platform}-${t.arch}`).sort()).toEqual(['darwin-arm64', 'linux-arm64', 'linux-arm64', 'linux-x64', 'linux-x64', 'win32-x64']);
    const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
    const usearch = readdirSync(path.join(root, 'node_modules', 'usearch', 'prebuilds'));
    for (const { platform, arch } of targets) {
      expect(existsSync(path.join(root, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6', platform, arch, 'onnxruntime_binding.node')), `onnxruntime ${platform}/${arch}`).toBe(true);
      expect(lock.packages, `sharp ${platform}-${arch}`).toHaveProperty([`node_modules/@img/sharp-${platform}-${arch}`]);
      expect(usearch.some((d) => d === `${platform}-${arch}` || (d.startsWith(`${platform}-`) && d.split('-')[1]!.split('+').includes(arch))), `usearch ${platform}-${arch}`).toBe(true);
    }
  });

  it('sets the fuses in both packagers: no runAsNode, NODE_OPTIONS or --inspect; asar integrity on; app only from asar', async () => {
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
    const { default: forge } = await import('../../forge.config.ts');
    const { FuseV1Options } = await import('@electron/fuses');
    const fuses = forge.plugins?.find((p) => (p as { name?: string }).name === 'fuses') as unknown as { fusesConfig: Record<string, unknown> } | undefined;
    expect(fuses).toBeDefined();
    expect(fuses!.fusesConfig).toMatchObject({
      [FuseV1Options.RunAsNode]: false,
      [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
      [FuseV1Options.EnableNodeCliInspectArguments]: false,
      [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
      [FuseV1Options.OnlyLoadAppFromAsar]: true,
    });
  });
});

describe('paths native code opens in a packaged app', () => {
  it('moves app.asar paths to app.asar.unpacked (native code cannot read the archive) and leaves others alone', async () => {
    const { outsideAsar } = await import('../../core/paths.ts');
    expect(outsideAsar('/Applications/DP-RDM Studio.app/Contents/Resources/app.asar/native-models/looks-v1/')).toBe('/Applications/DP-RDM Studio.app/Contents/Resources/app.asar.unpacked/native-models/looks-v1/');
    expect(outsideAsar('C:\\Program Files\\DP-RDM Studio\\resources\\app.asar\\out\\native\\x.node')).toBe('C:\\Program Files\\DP-RDM Studio\\resources\\app.asar.unpacked\\out\\native\\x.node');
    expect(outsideAsar('/work/main/native-models/looks-v1/')).toBe('/work/main/native-models/looks-v1/');
    expect(outsideAsar('/opt/app.asar.unpacked/x')).toBe('/opt/app.asar.unpacked/x');
  });
});
