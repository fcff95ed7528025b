/**
 * `npm start`. Until the studio host and window exist (later issues), starting the studio shows what the
 * engine can already do from the command line.
 */
import type { CommandIO } from './io.ts';

export async function startCommand(_argv: string[], io: CommandIO): Promise<number> {
  io.stdout(
    [
      'DP-RDM Studio — the privacy engine is ready; the desktop window arrives with the UI.',
      '',
      'Try the accountant:',
      '  npx --no-install dprdm privacy epsilon --q 0.01 --sigma 0.2 --k 18 --queries 1000 --delta 1e-7',
      '  npx --no-install dprdm privacy sigma --q 0.01 --k 20 --queries 10000 --delta 1.2e-5 --epsilon 10',
      '',
    ].join('\n'),
  );
  return 0;
}
