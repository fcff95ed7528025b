#!/usr/bin/env node
// The `dprdm` command. The project runs its TypeScript through tsx so that the CLI, the tests and the
// benchmarks execute the very same sources; nothing is compiled to a second copy that could drift.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../core/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
