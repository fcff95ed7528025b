import { describe, expect, it, vi } from 'vitest';
import { StudioError, studioChannels } from '../../core/contract/contract.ts';
import { chooseTransport, createIpcStudioApi } from '../../renderer/src/lib/transport.ts';
import { readableError } from '../../renderer/src/lib/errors.ts';
import type { StudioBridge } from '../../electron/bridge.ts';

function fakeBridge(reply: unknown): StudioBridge {
  const calls = Object.fromEntries(Object.keys(studioChannels).map((channel) => [channel, vi.fn(async () => reply)]));
  return { ...calls, onEvent: vi.fn(() => () => {}), pickFolder: vi.fn(async () => '/data') } as unknown as StudioBridge;
}

describe('the renderer’s transports', () => {
  it('IPC: unwraps successful envelopes', async () => {
    const api = createIpcStudioApi(fakeBridge({ ok: true, value: [{ id: 'demo' }] }));
    await expect(api['datasets.list']({})).resolves.toEqual([{ id: 'demo' }]);
  });

  it('IPC: turns a failed envelope back into a StudioError with its budget fields', async () => {
    const api = createIpcStudioApi(fakeBridge({ ok: false, error: { code: 'BUDGET_EXCEEDED', message: 'over budget', remainingEpsilon: 0.4, suggestion: 'try ε 0.4' } }));
    const error = await api['generate.run']({ datasetId: 'demo', prompt: 'x', epsilon: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StudioError);
    expect(error).toMatchObject({ code: 'BUDGET_EXCEEDED', message: 'over budget', extra: { remainingEpsilon: 0.4, suggestion: 'try ε 0.4' } });
  });

  it('picks IPC when the preload exposed window.studio, otherwise same-origin HTTP', () => {
    const bridge = fakeBridge({ ok: true, value: null });
    const electron = chooseTransport({ studio: bridge });
    expect(electron.kind).toBe('electron');
    expect(electron.pickFolder).toBeTypeOf('function');
    const http = chooseTransport({});
    expect(http.kind).toBe('http');
    expect(http.pickFolder).toBeUndefined();
    expect(Object.keys(http.api).sort()).toEqual([...Object.keys(studioChannels), 'onEvent', 'onConnection'].sort());
    // the Electron bridge cannot lose the studio: it has no onConnection
    expect(Object.keys(electron.api)).not.toContain('onConnection');
  });
});

describe('readable errors', () => {
  it('says what happened and what to do', () => {
    expect(readableError(new StudioError('BUDGET_EXCEEDED', 'This needs ε 2.', { remainingEpsilon: 0.25 })).message).toBe(
      'This needs ε 2. Remaining budget: ε 0.25. Lower ε for this generation, or switch to public-only.',
    );
    expect(readableError(new TypeError('Failed to fetch'), 'Generating').message).toBe('Generating did not reach the studio (Failed to fetch). Check that the studio is still running, then try again.');
    expect(readableError(new StudioError('LEDGER_LOCKED', 'The ledger failed verification.')).message).toContain('public-only still works');
    expect(readableError({ code: 'NOT_FOUND', message: 'no dataset' }).title).toBe('Not found');
  });
});
