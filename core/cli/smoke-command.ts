/** `dprdm smoke [--json] [--home DIR]`: the studio end to end once (core/studio/smoke.ts); exit 0 when all of it worked. */
import { resolve } from 'node:path';
import { runSmoke } from '../studio/smoke.ts';
import { optionalString, parseFlags } from './flags.ts';
import { printJson, type CommandIO } from './io.ts';

export async function smokeCommand(argv: string[], io: CommandIO): Promise<number> {
  const flags = parseFlags(argv, { json: { type: 'boolean' }, home: { type: 'string' } });
  const home = optionalString(flags, 'home');
  const report = await runSmoke(home === undefined ? {} : { home: resolve(home) });
  if (flags.values.json) printJson(io, report);
  else {
    io.stdout(
      `smoke ${report.ok ? 'ok' : 'FAILED'} (${report.modelSet}): ${report.steps.map((s) => `${s.step} ${s.ms} ms`).join(', ')}; ` +
        `${report.images} images, ${report.exported} exported, ledger ${report.ledgerVerified ? 'verified' : 'NOT verified'}; ${report.totalMs} ms in all\n`,
    );
  }
  return report.ok ? 0 : 1;
}
