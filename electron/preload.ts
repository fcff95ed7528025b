/**
 * The preload: exposes exactly the contract's functions (plus `onEvent` and the folder picker) as
 * `window.studio`. The renderer never sees `ipcRenderer`; each function can only invoke its own channel.
 * Bundled to CommonJS (sandboxed preloads cannot load ES modules).
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { StudioEvent } from '../core/contract/contract.ts';
import { ipcChannel, IPC_EVENT_CHANNEL, IPC_PICK_FOLDER, type StudioBridge } from './bridge.ts';
import { STUDIO_CHANNELS } from './channels.ts';

const calls = Object.fromEntries(STUDIO_CHANNELS.map((channel) => [channel, (request: unknown) => ipcRenderer.invoke(ipcChannel(channel), request ?? {})]));

const bridge = {
  ...calls,
  pickFolder: () => ipcRenderer.invoke(IPC_PICK_FOLDER).then((reply: { ok: boolean; value?: string }) => (reply.ok ? reply.value : undefined)),
  onEvent(listener: (event: StudioEvent) => void): () => void {
    const forward = (_event: IpcRendererEvent, studioEvent: StudioEvent) => listener(studioEvent);
    ipcRenderer.on(IPC_EVENT_CHANNEL, forward);
    return () => void ipcRenderer.removeListener(IPC_EVENT_CHANNEL, forward);
  },
} as unknown as StudioBridge;

contextBridge.exposeInMainWorld('studio', bridge);
