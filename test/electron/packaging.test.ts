import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
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
interface BuilderConfig {
  npmRebuild: boolean;
  asar: boolean;
  asarUnpack: Files;
  files: Files;
  directories: { buildResources: string; output: string };
  mac: { target: { target: string }[]; files: Files };
  win: { target: { target: string }[]; files: Files };
  linux: { target: string[]; files: Files };
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
    expect(config.mac.target.map((t) => t.target)).toEqual(['dmg']);
    expect(config.win.target.map((t) => t.target)).toEqual(['nsis']);
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
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

  it('packages what the app runs (sources run through tsx, built renderer, preload, models) and never tests or training data', () => {
    const files = patterns(config.files);
    expect(files).toEqual(expect.arrayContaining(['electron/**', 'core/**', 'out/electron/**', 'renderer/dist/**', '!native-models/*/train/**']));
    expect(files.some((f) => f.startsWith('test') || f.startsWith('bench') || f.startsWith('renderer/src'))).toBe(false);
    expect(config.asarUnpack).toContain('core/models/**'); // model worker threads load these from disk
  });

  it('points Electron at the tsx bootstrap, which exists', async () => {
    const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { main: string; dependencies: Record<string, string> };
    expect(pkg.main).toBe('electron/main.mjs');
    expect(await readFile(path.join(root, pkg.main), 'utf8')).toMatch(/register\(\);\s*await import\('\.\/main\.ts'\)/);
    expect(pkg.dependencies).toHaveProperty('tsx'); // a runtime dependency, so it ships
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
    expect(ignored('/core/studio/contract.ts')).toBe(false); // run from source through tsx
    expect(ignored('/native-models/shapes-v1/train/models.py')).toBe(true);
    expect(ignored('/renderer/src/App.svelte')).toBe(true);
    expect(ignored('/renderer/dist/index.html')).toBe(false);
    expect(ignored('/out/electron/main.js')).toBe(false);
    expect(ignored('/native-models/shapes-v1/decoder_unet.onnx')).toBe(false);
    expect(ignored('/package.json')).toBe(false);
  });
});
