import type { StudioError } from '../contract/contract.ts';
import type { CommandIO } from './io.ts';

/**
 * Prints a studio refusal as one stderr line (with the remaining budget and what would fit, when the service says)
 * and returns the exit code: 2 for a request the user can correct, 1 for everything else.
 */
export function reportStudioError(io: CommandIO, error: StudioError): number {
  const remaining = error.extra.remainingEpsilon;
  const extra = remaining !== undefined ? ` (remaining ε ${Number(remaining.toPrecision(6))}${error.extra.suggestion ? `; ${error.extra.suggestion}` : ''})` : '';
  io.stderr(`dprdm: ${error.message.replace(/\s*\n\s*/g, ' ')}${extra}\n`);
  return error.code === 'INVALID_REQUEST' || error.code === 'NOT_FOUND' ? 2 : 1;
}
