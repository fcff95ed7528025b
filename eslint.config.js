// Two project rules fail the build (see DESIGN §2 and the privacy standards):
//  1. under core/, no Math.random and no non-cryptographic RNG package — privacy code draws only from node:crypto;
//  2. nowhere outside electron/ may `electron` be imported — core and renderer must run without it.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';

const nonCryptoRngPackages = ['seedrandom', 'pure-rand', 'random-js', 'mersenne-twister', 'alea', 'chance', '@stdlib/random', 'random'];

const electronImportBan = {
  paths: [{ name: 'electron', message: 'Only electron/ may import electron: core/ and renderer/ must run without it.' }],
  patterns: [{ group: ['electron/*'], message: 'Only electron/ may import electron.' }],
};

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
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...electronImportBan.paths,
            ...nonCryptoRngPackages.map((name) => ({ name, message: 'core/ draws randomness only from node:crypto.' })),
          ],
          patterns: electronImportBan.patterns,
        },
      ],
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
);
