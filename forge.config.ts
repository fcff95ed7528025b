/**
 * Electron Forge: the dev loop (`npm run desktop:dev` = electron-forge start) and `electron-forge package`.
 * Installers (dmg, nsis, AppImage, deb) come from electron-builder (electron-builder.yml); Forge's own `make`
 * produces a zip. Needs the Electron binary, i.e. a machine with internet on first use (see README).
 */
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { ForgeConfig } from '@electron-forge/shared-types';
import { FusesPlugin } from '@electron-forge/plugin-fuses';
import { FuseV1Options, FuseVersion } from '@electron/fuses';
import { buildNativeForElectron } from './electron/build-native.ts';
import { buildElectron } from './electron/build.ts';
import { buildRenderer } from './renderer/build-if-missing.ts';

/** Paths (relative to the app root, as the packager passes them) that never ship. */
const IGNORE: RegExp[] = [
  /^\/(test|bench|bin|build|core|electron|scripts|docs|tmp|scratch[^/]*|\.ci|\.vite|\.github|\.dprdm-home|dprdm-demo)(\/|$)/,
  /^\/renderer\/(?!dist(\/|$))/,
  // eval/ ships: the Evaluation screen reads the demo folder's captions from it.
  /^\/native-models\/[^/]+\/(train|golden|report)(\/|$)/,
  /^\/out\/(?!(electron|native)(\/|$))/,
  /\.(map|md)$/,
  /^\/(tsconfig[^/]*\.json|vite\.config\.ts|vitest\.config\.ts|eslint\.config\.js|forge\.config\.ts|electron-builder\.yml)$/,
];

/** Only the target platform's onnxruntime binaries ship. */
async function dropOtherPlatformsOnnxRuntime(buildPath: string, platform: string): Promise<void> {
  const bin = path.join(buildPath, 'node_modules', 'onnxruntime-node', 'bin');
  for (const napi of await readdir(bin).catch(() => [] as string[])) {
    for (const os of await readdir(path.join(bin, napi)).catch(() => [] as string[])) {
      if (os !== platform) await rm(path.join(bin, napi, os), { recursive: true, force: true });
    }
  }
}

const config: ForgeConfig = {
  outDir: 'out/forge',
  packagerConfig: {
    name: 'DP-RDM Studio',
    executableName: 'dprdm-studio',
    appBundleId: 'org.dprdm.studio',
    appCategoryType: 'public.app-category.graphics-design',
    icon: 'build/icon',
    prune: true,
    ignore: IGNORE,
    asar: {
      // Native modules, libonnxruntime, the model files onnxruntime opens by path and the model worker's
      // sources stay outside the archive.
      unpack: '{**/*.node,**/libonnxruntime*,**/*.dll,**/*.dylib,**/*.so,**/*.so.*,**/native-models/**,**/out/electron/model-worker.mjs,**/out/electron/parquet-worker.mjs}',
    },
  },
  // sharp, usearch and onnxruntime-node are N-API and ship as installed; better-sqlite3's Electron build is made
  // beside the app by generateAssets (electron/build-native.ts), so nothing is rebuilt in place.
  rebuildConfig: { onlyModules: [], force: false },
  makers: [{ name: '@electron-forge/maker-zip', platforms: ['darwin', 'linux', 'win32'], config: {} }],
  plugins: [
    new FusesPlugin({
      version: FuseVersion.V1,
      [FuseV1Options.RunAsNode]: false,
      [FuseV1Options.EnableCookieEncryption]: true,
      [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
      [FuseV1Options.EnableNodeCliInspectArguments]: false,
      [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
      [FuseV1Options.OnlyLoadAppFromAsar]: true,
      [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
    }),
  ],
  publishers: [],
  hooks: {
    generateAssets: async () => {
      await buildRenderer();
      await buildElectron();
      await buildNativeForElectron();
    },
    packageAfterPrune: async (_config, buildPath, _electronVersion, platform) => {
      await dropOtherPlatformsOnnxRuntime(buildPath, platform);
    },
  },
};

export default config;
