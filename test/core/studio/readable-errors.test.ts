import { describe, expect, it } from 'vitest';
import { StudioError } from '../../../core/contract/contract.ts';
import { describeOverlap, toStudioError } from '../../../core/studio/errors.ts';
import { BudgetExceededError, DatasetOverlapError } from '../../../core/ledger/index.ts';

describe('the overlap refusal in a curator’s words', () => {
  it('names the other dataset, says why, and what to do', () => {
    const mapped = describeOverlap(new DatasetOverlapError(['ds_1'], 40), (id) => (id === 'ds_1' ? 'Demo' : undefined));
    expect(mapped).toBeInstanceOf(StudioError);
    const body = (mapped as StudioError).toBody();
    expect(body.code).toBe('INVALID_REQUEST');
    expect(body.message).toMatch(/^40 of these images already belong to the dataset “Demo”, which keeps the record of what has been spent on them; a second dataset would start their privacy budget over/);
    expect(body.message).not.toMatch(/replaceMembers|ds_1/);
    expect(body.suggestion).toContain('keep working with the dataset “Demo”');
  });

  it('falls back to ids it cannot name, counts one image right, and passes other errors through', () => {
    const one = describeOverlap(new DatasetOverlapError(['ds_1', 'ds_2'], 1), (id) => (id === 'ds_1' ? 'Demo' : undefined)) as StudioError;
    expect(one.message).toMatch(/^1 of these images already belongs to the datasets “Demo”, ds_2,/);
    const other = new Error('disk full');
    expect(describeOverlap(other, () => 'x')).toBe(other);
  });
});

describe('the budget refusal in words', () => {
  it('says what the total would be, the cap, that nothing was charged, and keeps the numbers the UI needs', () => {
    const refusal = new BudgetExceededError({ datasetId: 'ds_x', epsilonCap: 1, delta: 1e-5, cumulativeEpsilon: 0.89999994, remainingEpsilon: 0.10000006, epsilonCost: 0.9, epsilonIfAdmitted: 1.3129775, identicalQueriesThatFit: 0, suggestedSigma: 2.4071 });
    const mapped = toStudioError(refusal, 'generation');
    expect(mapped.code).toBe('BUDGET_EXCEEDED');
    expect(mapped.message).toBe('This generation would bring the dataset’s total to ε 1.31, over its cap of ε 1 (ε 0.9 spent so far). Nothing was charged and no private image was read.');
    expect(mapped.extra).toEqual({ remainingEpsilon: 0.10000006, suggestion: 'Ask for at most ε 0.1 (σ ≥ 2.407), or use public-only generation.' });
  });
});
