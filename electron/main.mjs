// Electron's entry (package.json "main"). Like bin/dprdm.js, it registers tsx and runs the TypeScript
// sources directly, so the desktop app executes the very same core/ as the CLI, the host and the tests —
// including the model worker threads, which find their own sources next to core/models/.
// The top-level await finishes before Electron emits `ready`, so main.ts registers its scheme in time.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
