import { vi } from 'vitest';
import { studioChannels, type StudioChannel, type StudioHandlers } from '../../core/contract/contract.ts';
import type { SenderCheck } from '../../electron/ipc.ts';

// Tests never import `electron`, not even its types: the event type comes from the shell's own signature.
type IpcMainInvokeEvent = Parameters<SenderCheck>[0];

type Listener = (event: IpcMainInvokeEvent, payload: unknown) => Promise<unknown>;

/** An ipcMain stand-in that records handlers and lets a test invoke them as a given sender. */
export function fakeIpcMain() {
  const handlers = new Map<string, Listener>();
  return {
    handlers,
    handle: vi.fn((channel: string, listener: Listener) => {
      if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
      handlers.set(channel, listener);
    }),
    removeHandler: vi.fn((channel: string) => void handlers.delete(channel)),
    invoke(channel: string, event: IpcMainInvokeEvent, payload: unknown) {
      const listener = handlers.get(channel);
      if (!listener) throw new Error(`no handler for ${channel}`);
      return listener(event, payload);
    },
  };
}

/** A WebContents stand-in: its main frame shows `url`. */
export function fakeContents(url = 'studio://app/index.html') {
  const mainFrame = { url };
  return { id: 1, mainFrame, isDestroyed: () => false };
}

export function eventFrom(sender: unknown, frame: unknown): IpcMainInvokeEvent {
  return { sender, senderFrame: frame } as unknown as IpcMainInvokeEvent;
}

/** Handlers for every channel that echo what they received. */
export function echoHandlers(): StudioHandlers & Record<StudioChannel, ReturnType<typeof vi.fn>> {
  return Object.fromEntries(Object.keys(studioChannels).map((channel) => [channel, vi.fn(async (request: unknown) => ({ channel, request }))])) as never;
}
