import { describe, expect, it, vi } from 'vitest';
import { GENERATION_DEFAULTS, StudioError, studioChannels, type StudioChannel } from '../../core/contract/contract.ts';
import { ipcChannel, IPC_PICK_FOLDER } from '../../electron/bridge.ts';
import { STUDIO_CHANNELS } from '../../electron/channels.ts';
import { registerShellIpc, registerStudioIpc, toEnvelopeError, trustedSender } from '../../electron/ipc.ts';
import { echoHandlers, eventFrom, fakeContents, fakeIpcMain } from './fakes.ts';

// ipc.ts imports only types from electron; nothing here loads the Electron runtime.

function setup() {
  const ipc = fakeIpcMain();
  const contents = fakeContents();
  const handlers = echoHandlers();
  const unregister = registerStudioIpc(ipc, handlers, trustedSender(() => contents as never));
  const own = eventFrom(contents, contents.mainFrame);
  return { ipc, contents, handlers, own, unregister };
}

const contractChannels = Object.keys(studioChannels) as StudioChannel[];

describe('IPC registration', () => {
  it('the preload’s channel list is exactly the contract’s', () => {
    expect([...STUDIO_CHANNELS].sort()).toEqual([...contractChannels].sort());
  });

  it('registers one handler per contract channel and nothing else', () => {
    const { ipc, unregister } = setup();
    expect([...ipc.handlers.keys()].sort()).toEqual(contractChannels.map(ipcChannel).sort());
    unregister();
    expect(ipc.handlers.size).toBe(0);
  });

  it.each(contractChannels)('%s forwards a valid request from the app window to its handler', async (channel) => {
    const { ipc, handlers, own } = setup();
    // Every channel, so that a new one fails to compile here until it has a sample.
    const samples: Record<StudioChannel, unknown> = {
      'studio.info': {},
      'datasets.list': {},
      'history.list': {},
      'settings.get': {},
      'datasets.add': { folder: '/data/photos' },
      'datasets.import': { file: '/data/embeddings.parquet' },
      'datasets.show': { datasetId: 'demo' },
      'datasets.sync': { datasetId: 'demo' },
      'datasets.remove': { datasetId: 'demo' },
      'prompt.check': { prompt: 'a red circle' },
      'generate.preview': { datasetId: 'demo', epsilon: 0.5 },
      'generate.run': { datasetId: 'demo', prompt: 'a red circle', epsilon: 0.5 },
      'generate.cancel': { jobId: 'job-1' },
      'generate.rerender': { generationId: 'g1' },
      'export.images': { imageIds: ['i1'] },
      'ledger.show': { datasetId: 'demo' },
      'ledger.verify': { datasetId: 'demo' },
      'ledger.unlock': { datasetId: 'demo', note: 'restored from backup', confirm: true },
      'ledger.export': { datasetId: 'demo', format: 'csv' },
      'settings.set': { executionProvider: 'cpu' },
      'evaluate.run': { datasetId: 'demo' },
    };
    const reply = (await ipc.invoke(ipcChannel(channel), own, samples[channel])) as { ok: boolean; value: { channel: string } };
    expect(reply.ok).toBe(true);
    expect(reply.value.channel).toBe(channel);
    expect(handlers[channel]).toHaveBeenCalledOnce();
  });
});

describe('the handle() wrapper', () => {
  it('refuses other web contents, sub-frames and foreign origins without calling the handler', async () => {
    const { ipc, contents, handlers } = setup();
    const stranger = fakeContents();
    const foreignPage = { url: 'https://example.com/' };
    const subFrame = { url: 'studio://app/index.html' };
    for (const event of [eventFrom(stranger, stranger.mainFrame), eventFrom(contents, subFrame), eventFrom(contents, null)]) {
      const reply = await ipc.invoke(ipcChannel('datasets.list'), event, {});
      expect(reply).toEqual({ ok: false, error: { code: 'UNAUTHORIZED', message: 'this window may not call the studio' } });
    }
    contents.mainFrame.url = foreignPage.url;
    expect(await ipc.invoke(ipcChannel('datasets.list'), eventFrom(contents, contents.mainFrame), {})).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    expect(handlers['datasets.list']).not.toHaveBeenCalled();
  });

  it('refuses a destroyed window', async () => {
    const ipc = fakeIpcMain();
    const contents = { ...fakeContents(), isDestroyed: () => true };
    const handlers = echoHandlers();
    registerStudioIpc(ipc, handlers, trustedSender(() => contents as never));
    expect(await ipc.invoke(ipcChannel('studio.info'), eventFrom(contents, contents.mainFrame), {})).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
  });

  it.each([
    ['generate.run', { datasetId: 'demo', prompt: 'x', epsilon: 1, sigma: 0.5 }, /epsilon or sigma, not both/],
    ['generate.run', { datasetId: '../etc', prompt: 'x', epsilon: 1 }, /datasetId/],
    ['generate.run', { datasetId: 'demo', prompt: 'x', epsilon: 1, images: 99 }, /images/],
    ['generate.preview', { datasetId: 'demo', epsilon: -1 }, /epsilon/],
    ['datasets.add', { folder: '' }, /folder/],
    ['studio.info', { extra: true }, /studio\.info/],
    ['ledger.export', { datasetId: 'demo', format: 'xml' }, /format/],
    ['export.images', { imageIds: [] }, /imageIds/],
  ] as const)('rejects an invalid %s payload with INVALID_REQUEST', async (channel, payload, message) => {
    const { ipc, handlers, own } = setup();
    const reply = (await ipc.invoke(ipcChannel(channel), own, payload)) as { ok: false; error: { code: string; message: string } };
    expect(reply.ok).toBe(false);
    expect(reply.error.code).toBe('INVALID_REQUEST');
    expect(reply.error.message).toMatch(message);
    expect(handlers[channel]).not.toHaveBeenCalled();
  });

  it('passes the parsed request (with the contract’s defaults) and an abort signal', async () => {
    const ipc = fakeIpcMain();
    const contents = fakeContents();
    const handlers = echoHandlers();
    const closing = new AbortController();
    registerStudioIpc(ipc, handlers, trustedSender(() => contents as never), closing.signal);
    await ipc.invoke(ipcChannel('generate.run'), eventFrom(contents, contents.mainFrame), { datasetId: 'demo', prompt: '  a red circle ', epsilon: 0.5 });
    const [request, context] = handlers['generate.run'].mock.calls[0] as [Record<string, unknown>, { signal: AbortSignal }];
    expect(request).toMatchObject({ prompt: 'a red circle', images: 4, steps: GENERATION_DEFAULTS.steps, sampler: GENERATION_DEFAULTS.sampler, guidance: 3, publicOnly: false });
    expect(request.lambda).toBeUndefined(); // the model set's default, chosen by the studio
    expect(context.signal).toBe(closing.signal);
  });

  it('carries a StudioError’s code and budget fields, and hides unexpected errors’ messages', async () => {
    const { ipc, handlers, own } = setup();
    handlers['generate.run'].mockRejectedValueOnce(new StudioError('BUDGET_EXCEEDED', 'needs ε 5, ε 0.2 left', { remainingEpsilon: 0.2, suggestion: 'try ε 0.2' }));
    expect(await ipc.invoke(ipcChannel('generate.run'), own, { datasetId: 'demo', prompt: 'x', epsilon: 5 })).toEqual({
      ok: false,
      error: { code: 'BUDGET_EXCEEDED', message: 'needs ε 5, ε 0.2 left', remainingEpsilon: 0.2, suggestion: 'try ε 0.2' },
    });
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    handlers['datasets.add'].mockRejectedValueOnce(new Error('EACCES /secret/canary-folder/img.png'));
    const reply = (await ipc.invoke(ipcChannel('datasets.add'), own, { folder: '/secret' })) as { ok: false; error: { code: string; message: string } };
    expect(reply.error.code).toBe('INTERNAL');
    expect(JSON.stringify(reply)).not.toContain('canary');
    expect(JSON.stringify(log.mock.calls)).not.toContain('canary');
    log.mockRestore();
    expect(toEnvelopeError(new StudioError('NOT_FOUND', 'no such dataset'), 'x')).toEqual({ code: 'NOT_FOUND', message: 'no such dataset' });
  });

  it('gates the shell’s folder picker the same way', async () => {
    const ipc = fakeIpcMain();
    const contents = fakeContents();
    const pickFolder = vi.fn(async () => '/data/photos');
    registerShellIpc(ipc, trustedSender(() => contents as never), { pickFolder });
    expect(await ipc.invoke(IPC_PICK_FOLDER, eventFrom(contents, contents.mainFrame), undefined)).toEqual({ ok: true, value: '/data/photos' });
    const stranger = fakeContents();
    expect(await ipc.invoke(IPC_PICK_FOLDER, eventFrom(stranger, stranger.mainFrame), undefined)).toMatchObject({ ok: false });
    expect(pickFolder).toHaveBeenCalledOnce();
  });
});
