/**
 * `dprdm`: the studio's command line. Each command group lives in its own module; this file only routes.
 * Exit codes: 0 success, 1 a check failed (e.g. ledger verification), 2 bad input (one line on stderr).
 */
import { processIO, type CommandIO } from './io.ts';
import { UsageError } from './usage-error.ts';
import { privacyCommand } from './privacy-command.ts';
import { ledgerCommand } from './ledger-command.ts';

export type CommandGroup = (argv: string[], io: CommandIO) => Promise<number>;

const groups: Record<string, { run: CommandGroup; summary: string }> = {
  start: { run: async (argv, io) => (await import('./start-command.ts')).startCommand(argv, io), summary: 'start [--browser] — start the studio (the desktop app, or the browser UI without Electron)' },
  serve: { run: async (argv, io) => (await import('./serve-command.ts')).serveCommand(argv, io), summary: 'serve [--port N] — the studio in your browser: prints the URL with its access token' },
  generate: {
    run: async (argv, io) => (await import('./generate-command.ts')).generateCommand(argv, io),
    summary: 'generate --dataset <id|name> --prompt "…" (--epsilon E | --sigma S | --public-only) [--lambda L] [--k K] [--q Q] [--images N] [--guidance G] [--steps N] [--seeds a,b,…] [--out DIR] [--json] — private images from a prompt',
  },
  evaluate: {
    run: async (argv, io) => (await import('./evaluate-command.ts')).evaluateCommand(argv, io),
    summary: 'evaluate --dataset <id|name> [--budgets 1,3,10] [--queries T] [--q Q] [--lambda L] [--k K] [--prompts N] [--seeds S] [--captions FILE] [--dry-run] [--out DIR] [--json] — quality vs ε (curator only; audit-charged)',
  },
  rerender: {
    run: async (argv, io) => (await import('./rerender-command.ts')).rerenderCommand(argv, io),
    summary: 'rerender <generationId> [--seeds a,b,…] [--steps N] [--guidance G] [--out DIR] [--json] — new images from a generation’s kept condition, at no privacy cost',
  },
  demo: { run: async (argv, io) => (await import('./demo-command.ts')).demoCommand(argv, io), summary: 'demo — index the bundled demo folder and write a 4×4 private grid to ./dprdm-demo/' },
  ledger: { run: ledgerCommand, summary: 'ledger list|show|verify|export — the privacy budget ledger' },
  privacy: { run: privacyCommand, summary: 'privacy epsilon|sigma — the accountant: ε for a plan, or σ for a target ε' },
  dataset: { run: async (argv, io) => (await import('./dataset-command.ts')).datasetCommand(argv, io), summary: 'dataset add|sync|list|show|remove — index private image folders' },
  smoke: { run: async (argv, io) => (await import('./smoke-command.ts')).smokeCommand(argv, io), summary: 'smoke [--json] [--home DIR] — the studio end to end once on a fresh home (index the demo, generate, export, verify)' },
};

function usage(): string {
  const lines = Object.entries(groups).map(([name, group]) => `  dprdm ${group.summary.startsWith(name) ? group.summary : `${name}  ${group.summary}`}`);
  return `usage:\n${lines.join('\n')}\n`;
}

export async function main(argv: string[], io: CommandIO = processIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(usage());
    return name === undefined ? 2 : 0;
  }
  const group = groups[name];
  try {
    if (!group) throw new UsageError(`unknown command "${name}"; try: ${Object.keys(groups).join(', ')}`);
    if (rest[0] === '--help' || rest[0] === '-h' || rest[0] === 'help') {
      io.stdout(`usage: dprdm ${group.summary}\n`);
      return 0;
    }
    return await group.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code === 'INVALID_PRIVACY_PARAMETER' || (error as { code?: string }).code === 'CALIBRATION_FAILED') {
      io.stderr(`dprdm: ${oneLine((error as Error).message)}\n`);
      return 2;
    }
    if (error instanceof Error && 'exitCode' in error && typeof error.exitCode === 'number') {
      io.stderr(`dprdm: ${oneLine(error.message)}\n`);
      return error.exitCode;
    }
    io.stderr(`dprdm: ${oneLine(error instanceof Error ? error.message : String(error))}\n`);
    return 1;
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
