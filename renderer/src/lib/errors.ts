import { StudioError, type StudioErrorBody, type StudioErrorCode } from '../../../core/contract/contract.ts';
import { formatEpsilon } from './format.ts';

export interface ReadableError {
  readonly code: StudioErrorCode | 'UNREACHABLE';
  readonly title: string;
  /** What happened and what to do, in one or two sentences. */
  readonly message: string;
  readonly remainingEpsilon?: number;
}

/** Turns anything a StudioApi call can throw into words that say what happened and what to do next. */
export function readableError(error: unknown, action = 'That'): ReadableError {
  const code = studioCode(error);
  if (code === undefined) {
    const detail = error instanceof Error ? error.message : String(error);
    return {
      code: 'UNREACHABLE',
      title: 'The studio did not answer',
      message: `${action} did not reach the studio (${detail}). Check that the studio is still running, then try again.`,
    };
  }
  const e = error as StudioError;
  // A StudioError carries remainingEpsilon/suggestion in `extra`; a plain error body (StudioErrorBody) at its top level.
  const body = error as Partial<StudioErrorBody>;
  const extra = { remainingEpsilon: e.extra?.remainingEpsilon ?? body.remainingEpsilon, suggestion: e.extra?.suggestion ?? body.suggestion };
  const suggestion = extra.suggestion ? ` ${extra.suggestion}` : '';
  switch (code) {
    case 'BUDGET_EXCEEDED': {
      const remaining = extra.remainingEpsilon;
      return {
        code,
        title: 'Over the privacy budget',
        message: `${e.message}${remaining !== undefined ? ` Remaining budget: ε ${formatEpsilon(remaining)}.` : ''}${suggestion || ' Lower ε for this generation, or switch to public-only.'}`,
        ...(remaining !== undefined ? { remainingEpsilon: remaining } : {}),
      };
    }
    case 'LEDGER_LOCKED':
      return { code, title: 'Ledger locked', message: `${e.message}${suggestion || ' Private generation is off until the ledger verifies; public-only still works.'}` };
    case 'INVALID_REQUEST':
      return { code, title: 'Check the settings', message: `${e.message}${suggestion}` };
    case 'NOT_FOUND':
      return { code, title: 'Not found', message: `${e.message}${suggestion || ' Refresh the list and try again.'}` };
    case 'CANCELLED':
      return { code, title: 'Cancelled', message: `${e.message}${suggestion}` };
    case 'MODEL_ERROR':
      return { code, title: 'The model failed', message: `${e.message}${suggestion || ' Check the model set and execution provider in Settings.'}` };
    case 'UNAUTHORIZED':
      return { code, title: 'Session expired', message: `${e.message}${suggestion || ' Open the address the studio printed at start again.'}` };
    default:
      return { code, title: 'Something went wrong', message: `${e.message}${suggestion}` };
  }
}

function studioCode(error: unknown): StudioErrorCode | undefined {
  if (error instanceof StudioError) return error.code;
  // Errors that crossed a bridge may arrive as plain objects with the same shape.
  if (error && typeof error === 'object' && 'code' in error && 'message' in error && typeof (error as { code: unknown }).code === 'string') {
    return (error as { code: StudioErrorCode }).code;
  }
  return undefined;
}
