// Svelte 5 with runes everywhere; TypeScript in <script lang="ts"> needs no preprocessor.
export default { compilerOptions: { runes: true } };
