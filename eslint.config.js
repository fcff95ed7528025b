// Project rules that fail the build (docs/design.md §2 and the privacy standards):
//  1. under core/, no Math.random and no non-cryptographic RNG package — privacy code draws only from node:crypto;
//  2. nowhere outside electron/ may `electron` be imported — core and renderer must run without it;
//  3. layers: the renderer imports from core/ only the browser-safe contract folder (core/contract/: the contract
//     and the HTTP client), and no node: module; core/contract imports nothing else of core/; a lower floor never
//     imports a higher one (privacy < ledger < models < datasets, export < generation < evaluation < studio <
//     server < cli).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';

const nonCryptoRngPackages = ['seedrandom', 'pure-rand', 'random-js', 'mersenne-twister', 'alea', 'chance', '@stdlib/random', 'random'];

const electronImportBan = {
  paths: [{ name: 'electron', message: 'Only electron/ may import electron: core/ and renderer/ must run without it.' }],
  patterns: [{ group: ['electron/*'], message: 'Only electron/ may import electron.' }],
};

const coreBase = {
  paths: [...electronImportBan.paths, ...nonCryptoRngPackages.map((name) => ({ name, message: 'core/ draws randomness only from node:crypto.' }))],
  patterns: electronImportBan.patterns,
};

/** The floors of core/ that a folder must not reach (relative imports from inside it). */
const ABOVE = {
  contract: ['privacy', 'ledger', 'native', 'models', 'datasets', 'export', 'generation', 'evaluation', 'studio', 'server', 'cli'],
  privacy: ['ledger', 'native', 'models', 'datasets', 'export', 'generation', 'evaluation', 'studio', 'server', 'cli'],
  ledger: ['models', 'datasets', 'export', 'generation', 'evaluation', 'studio', 'server', 'cli'],
  models: ['datasets', 'export', 'generation', 'evaluation', 'studio', 'server', 'cli'],
  datasets: ['export', 'generation', 'evaluation', 'studio', 'server', 'cli'],
  export: ['datasets', 'generation', 'evaluation', 'studio', 'server', 'cli'],
  generation: ['evaluation', 'studio', 'server', 'cli'],
  evaluation: ['studio', 'server', 'cli'],
  studio: ['server', 'cli'],
  server: ['cli'],
};
const floorRules = Object.entries(ABOVE).map(([floor, above]) => ({
  files: [`core/${floor}/**/*.{ts,js,mjs,cjs}`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        paths: coreBase.paths,
        patterns: [...coreBase.patterns, { group: above.map((f) => `../${f}/*`), message: `core/${floor} is below ${above.join(', ')}: a lower floor never imports a higher one (docs/design.md §2).` }],
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'out/**', '.vite/**', 'native-models/**/train/**', '**/*.d.ts', 'renderer/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  // The renderer's Svelte 5 components: svelte's rules, TypeScript inside <script lang="ts"> and *.svelte.ts.
  ...svelte.configs.recommended,
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] } },
    // svelte-check type-checks these (undefined names included).
    rules: { 'no-undef': 'off' },
  },
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', performance: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.{ts,js,mjs,cjs,svelte}'],
    ignores: ['electron/**'],
    rules: { 'no-restricted-imports': ['error', electronImportBan] },
  },
  {
    files: ['core/**/*.{ts,js,mjs,cjs}'],
    rules: {
      'no-restricted-imports': ['error', coreBase],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'core/ draws randomness only from node:crypto (see core/privacy/entropy.ts).' },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "MemberExpression[object.name='Math'][property.value='random']", message: 'core/ draws randomness only from node:crypto.' },
      ],
    },
  },
  ...floorRules,
  {
    files: ['renderer/**/*.{ts,js,svelte}'],
    ignores: ['renderer/build-if-missing.ts', 'renderer/dist/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: electronImportBan.paths,
          patterns: [
            ...electronImportBan.patterns,
            { group: ['node:*'], message: 'The renderer runs in a browser: no Node modules.' },
            {
              regex: '(^|/)core/(?!contract/(contract|http-client)\\.ts$)',
              message: 'The renderer talks to the studio only through StudioApi: import core/contract/contract.ts or core/contract/http-client.ts, nothing else of core/.',
            },
          ],
        },
      ],
    },
  },
);
