/**
 * Maps the engine's typed errors to the contract's `StudioError`. On the generation path an unexpected error's
 * message is replaced by a fixed sentence: it could otherwise carry something computed from private rows (a value,
 * a size) out of the process. Dataset channels pass messages through, because they describe the curator's own
 * folder to the curator.
 */
import { DatasetCancelledError, DatasetError, DatasetIndexNotFoundError } from '../datasets/index.ts';
import { BudgetExceededError, DatasetNotFoundError, DatasetOverlapError, LedgerError, LedgerLockedError, offeredCeiling } from '../ledger/index.ts';
import { ModelAbortError, ModelSetError } from '../models/index.ts';
import { CalibrationError, PrivacyParameterError } from '../privacy/index.ts';
import { SPENT_SHARE, StudioError } from '../contract/contract.ts';

export type ErrorScope = 'generation' | 'curator';

const fmt = (x: number) => String(Number(x.toPrecision(6)));

export function toStudioError(error: unknown, scope: ErrorScope): StudioError {
  if (error instanceof StudioError) return error;
  if (error instanceof BudgetExceededError) {
    // The ledger's own message is for logs and the CLI (ids, eight digits); people get the same facts in words.
    const short = (x: number) => (Number.isFinite(x) ? String(Number(x.toPrecision(3))) : '∞');
    const message = `This generation would bring the dataset’s total to ε ${short(error.epsilonIfAdmitted)}, over its cap of ε ${short(error.epsilonCap)} (ε ${short(error.cumulativeEpsilon)} spent so far). Nothing was charged and no private image was read.`;
    return new StudioError('BUDGET_EXCEEDED', message, {
      remainingEpsilon: error.remainingEpsilon,
      // The same ε the slider tops out at (usefulSpendRange), so the advice is reachable with the controls.
      suggestion:
        error.suggestedSigma === undefined || !(error.remainingEpsilon >= SPENT_SHARE * error.epsilonCap)
          ? 'The budget is spent. Public-only generation still works and costs nothing.'
          : `Ask for at most ε ${fmt(offeredCeiling(error.remainingEpsilon))} (σ ≥ ${error.suggestedSigma.toPrecision(4)}), or use public-only generation.`,
    });
  }
  if (error instanceof LedgerLockedError) return new StudioError('LEDGER_LOCKED', error.message);
  if (error instanceof DatasetNotFoundError || error instanceof DatasetIndexNotFoundError) return new StudioError('NOT_FOUND', error.message);
  if (error instanceof ModelAbortError || error instanceof DatasetCancelledError) return new StudioError('CANCELLED', error.message);
  if (error instanceof PrivacyParameterError || error instanceof CalibrationError) return new StudioError('INVALID_REQUEST', error.message);
  if (error instanceof ModelSetError) return new StudioError('MODEL_ERROR', error.message);
  if (error instanceof LedgerError) return new StudioError(error.code === 'LEDGER_INVALID_INPUT' || error.code === 'DATASET_OVERLAP' || error.code === 'DATASET_HISTORY' ? 'INVALID_REQUEST' : 'INTERNAL', error.message);
  if (scope === 'curator' && error instanceof DatasetError) {
    return new StudioError(error.code === 'DATASET_INVALID_INPUT' || error.code === 'DATASET_EMPTY' ? 'INVALID_REQUEST' : 'INTERNAL', error.message);
  }
  if (scope === 'curator' && error instanceof Error) return new StudioError('INTERNAL', error.message);
  return new StudioError('INTERNAL', 'the generation failed inside the studio; nothing about your images was released. Try again, or restart the studio.');
}

/**
 * The ledger's overlap refusal (images already in another dataset) in the curator's words: which dataset, by
 * name, and what to do. Anything else passes through unchanged.
 */
export function describeOverlap(error: unknown, nameOf: (datasetId: string) => string | undefined): unknown {
  if (!(error instanceof DatasetOverlapError)) return error;
  const names = error.otherDatasetIds.map((id) => {
    const name = nameOf(id);
    return name ? `“${name}”` : id;
  });
  const which = names.length === 1 ? `the dataset ${names[0]}` : `the datasets ${names.join(', ')}`;
  return new StudioError(
    'INVALID_REQUEST',
    `${error.sharedImages} of these images already ${error.sharedImages === 1 ? 'belongs' : 'belong'} to ${which}, which keeps the record of what has been spent on them; a second dataset would start their privacy budget over, so the studio refuses it.`,
    { suggestion: `Take those files out of this folder (or add only new images), or keep working with ${which}.` },
  );
}
