import { beforeAll, describe, expect, it, vi } from 'vitest';
import { studioChannels } from '../../core/contract/contract.ts';
import type { StudioBridge } from '../../electron/bridge.ts';

// The preload runs in Electron's sandbox; here `electron` is a mock and never loads.
const electron = vi.hoisted(() => ({
  contextBridge: { exposeInMainWorld: vi.fn() },
  ipcRenderer: { invoke: vi.fn(async (channel: string, payload: unknown) => ({ ok: true, value: { channel, payload } })), on: vi.fn(), removeListener: vi.fn(), send: vi.fn(), sendSync: vi.fn() },
}));
vi.mock('electron', () => electron);

let bridge: StudioBridge;
beforeAll(async () => {
  await import('../../electron/preload.ts');
  expect(electron.contextBridge.exposeInMainWorld).toHaveBeenCalledTimes(1);
  const [key, value] = electron.contextBridge.exposeInMainWorld.mock.calls[0] as [string, StudioBridge];
  expect(key).toBe('studio');
  bridge = value;
});

describe('preload', () => {
  it('exposes exactly the contract’s functions, onEvent and pickFolder — no ipcRenderer', () => {
    expect(Object.keys(bridge).sort()).toEqual([...Object.keys(studioChannels), 'onEvent', 'pickFolder'].sort());
    for (const value of Object.values(bridge)) expect(typeof value).toBe('function');
    expect(Object.values(bridge)).not.toContain(electron.ipcRenderer);
    expect(bridge).not.toHaveProperty('invoke');
    expect(bridge).not.toHaveProperty('send');
  });

  it('each function invokes only its own channel', async () => {
    await expect(bridge['generate.preview']({ datasetId: 'demo', epsilon: 0.5 })).resolves.toEqual({ ok: true, value: { channel: 'studio:generate.preview', payload: { datasetId: 'demo', epsilon: 0.5 } } });
    await bridge['studio.info'](undefined as never);
    expect(electron.ipcRenderer.invoke).toHaveBeenLastCalledWith('studio:studio.info', {});
    expect(electron.ipcRenderer.send).not.toHaveBeenCalled();
  });

  it('delivers events without exposing the IPC event object, and unsubscribes', () => {
    const listener = vi.fn();
    const stop = bridge.onEvent(listener);
    const [channel, forward] = electron.ipcRenderer.on.mock.calls[0] as [string, (event: unknown, payload: unknown) => void];
    expect(channel).toBe('studio:event');
    forward({ sender: 'secret ipc event' }, { type: 'job-end', jobId: 'j', outcome: 'done' });
    expect(listener).toHaveBeenCalledWith({ type: 'job-end', jobId: 'j', outcome: 'done' });
    stop();
    expect(electron.ipcRenderer.removeListener).toHaveBeenCalledWith('studio:event', forward);
  });

  it('returns the picked folder, or undefined when the picker is refused', async () => {
    electron.ipcRenderer.invoke.mockResolvedValueOnce({ ok: true, value: '/data/photos' } as never);
    await expect(bridge.pickFolder()).resolves.toBe('/data/photos');
    electron.ipcRenderer.invoke.mockResolvedValueOnce({ ok: false, error: { code: 'UNAUTHORIZED', message: 'no' } } as never);
    await expect(bridge.pickFolder()).resolves.toBeUndefined();
  });
});
