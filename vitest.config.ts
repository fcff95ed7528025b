import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'] } },
      // Renderer state classes and components: Svelte compiled by its plugin, DOM from jsdom.
      {
        extends: true,
        plugins: [svelte({ configFile: false, compilerOptions: { runes: true } })],
        resolve: { conditions: ['browser'] },
        test: { name: 'renderer', include: ['test/renderer/**/*.spec.ts'], environment: 'jsdom' },
      },
      // The browser flow against the real local host in headless Chromium (builds the renderer when stale).
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.e2e.ts'], testTimeout: 300_000, hookTimeout: 300_000 } },
    ],
  },
});
