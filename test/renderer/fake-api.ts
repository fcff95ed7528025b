import { vi } from 'vitest';
import type { BudgetSummary, DatasetSummary, GenerationPreview, StudioApi, StudioEvent } from '../../core/contract/contract.ts';
import { studioChannels, type StudioChannel } from '../../core/contract/contract.ts';

export function budget(over: Partial<BudgetSummary> = {}): BudgetSummary {
  return { epsilonCap: 10, delta: 1e-6, spentEpsilon: 2, remainingEpsilon: 8, queries: 4, locked: false, ...over };
}

export function dataset(over: Partial<DatasetSummary> = {}): DatasetSummary {
  return {
    id: 'demo',
    name: 'Demo',
    imageCount: 400,
    quarantinedCount: 1,
    duplicateCount: 2,
    modelSet: 'looks-v1',
    createdAt: '2026-11-28T10:00:00.000Z',
    defaults: { k: 8, q: 0.4, delta: 1e-6, order: 2.5, sizeClass: { lower: 200, upper: 500 }, plannedGenerations: 100, epsilon: 0.1, lambda: 0.5, influence: 'strong' },
    budget: budget(),
    spendRange: { min: 0.005, max: 8 },
    indexMatchesLedger: true,
    ...over,
  };
}

/** A preview whose numbers follow ε, so tests can see the slider reach the studio. */
export function previewFor(epsilon: number, remaining = 8): GenerationPreview {
  return {
    sigma: 1 / epsilon,
    noiseMultiplier: 4 / epsilon,
    signalToNoise: epsilon / 2,
    influence: epsilon >= 1 ? 'strong' : epsilon >= 0.3 ? 'some' : 'weak',
    k: 8,
    q: 0.4,
    delta: 1e-6,
    epsilonCost: epsilon,
    standaloneEpsilon: epsilon * 3,
    order: 2.5,
    cumulativeEpsilonAfter: 10 - remaining + epsilon,
    remainingEpsilonAfter: remaining - epsilon,
    generationsThatFit: Math.floor((remaining - epsilon) / epsilon),
    admissible: epsilon <= remaining,
    warnings: [],
  };
}

export type FakeApi = StudioApi & { emit(event: StudioEvent): void };

/** Every channel is a vi.fn that rejects unless a test overrides it; `emit` pushes events to subscribers. */
export function fakeApi(overrides: Partial<Record<StudioChannel, (request: never) => Promise<unknown>>> = {}): FakeApi {
  const listeners = new Set<(event: StudioEvent) => void>();
  const methods = Object.fromEntries(
    (Object.keys(studioChannels) as StudioChannel[]).map((channel) => [channel, vi.fn(overrides[channel] ?? (async () => Promise.reject(new Error(`${channel} not faked`))))]),
  );
  return {
    ...methods,
    onEvent: (listener: (event: StudioEvent) => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit: (event: StudioEvent) => {
      for (const listener of listeners) listener(event);
    },
  } as unknown as FakeApi;
}
