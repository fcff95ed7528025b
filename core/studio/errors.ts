/**
 * Maps the engine's typed errors to the contract's `StudioError`. On the generation path an unexpected error's
 * message is replaced by a fixed sentence: it could otherwise carry something computed from private rows (a value,
 * a size) out of the process. Dataset channels pass messages through, because they describe the curator's own
 * folder to the curator.
 */
import { DatasetCancelledError, DatasetError, DatasetIndexNotFoundError } from '../datasets/index.ts';
import { BudgetExceededError, DatasetNotFoundError, LedgerError, LedgerLockedError } from '../ledger/index.ts';
import { ModelAbortError, ModelSetError } from '../models/index.ts';
import { CalibrationError, PrivacyParameterError } from '../privacy/index.ts';
import { StudioError } from './contract.ts';

export type ErrorScope = 'generation' | 'curator';

const fmt = (x: number) => String(Number(x.toPrecision(6)));

export function toStudioError(error: unknown, scope: ErrorScope): StudioError {
  if (error instanceof StudioError) return error;
  if (error instanceof BudgetExceededError) {
    return new StudioError('BUDGET_EXCEEDED', error.message, {
      remainingEpsilon: error.remainingEpsilon,
      suggestion:
        error.suggestedSigma === undefined
          ? 'The budget is spent. Public-only generation still works and costs nothing.'
          : `Ask for at most ε ${fmt(error.remainingEpsilon)} (σ ≥ ${error.suggestedSigma.toPrecision(4)}), or use public-only generation.`,
    });
  }
  if (error instanceof LedgerLockedError) return new StudioError('LEDGER_LOCKED', error.message);
  if (error instanceof DatasetNotFoundError || error instanceof DatasetIndexNotFoundError) return new StudioError('NOT_FOUND', error.message);
  if (error instanceof ModelAbortError || error instanceof DatasetCancelledError) return new StudioError('CANCELLED', error.message);
  if (error instanceof PrivacyParameterError || error instanceof CalibrationError) return new StudioError('INVALID_REQUEST', error.message);
  if (error instanceof ModelSetError) return new StudioError('MODEL_ERROR', error.message);
  if (error instanceof LedgerError) return new StudioError(error.code === 'LEDGER_INVALID_INPUT' || error.code === 'DATASET_OVERLAP' ? 'INVALID_REQUEST' : 'INTERNAL', error.message);
  if (scope === 'curator' && error instanceof DatasetError) {
    return new StudioError(error.code === 'DATASET_INVALID_INPUT' || error.code === 'DATASET_EMPTY' ? 'INVALID_REQUEST' : 'INTERNAL', error.message);
  }
  if (scope === 'curator' && error instanceof Error) return new StudioError('INTERNAL', error.message);
  return new StudioError('INTERNAL', 'the generation failed inside the studio; nothing about your images was released. Try again, or restart the studio.');
}
