/**
 * What the preload hands the renderer as `window.studio`: one function per contract channel plus `onEvent`.
 * Replies travel as envelopes because an Error thrown in the main process loses its code and fields when it
 * crosses IPC and the context bridge; the renderer's IPC transport turns a failed envelope back into a
 * `StudioError`. Type-only and dependency-free: the renderer imports it without pulling in Electron.
 */
import type { StudioChannel, StudioErrorBody, StudioEvent, StudioRequest, StudioResponses } from '../core/contract/contract.ts';

export type IpcEnvelope<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: StudioErrorBody };

export type StudioBridge = { readonly [C in StudioChannel]: (request: StudioRequest<C>) => Promise<IpcEnvelope<StudioResponses[C]>> } & {
  readonly onEvent: (listener: (event: StudioEvent) => void) => () => void;
  /** Only in the desktop app: the native folder picker (undefined when the user cancels). */
  readonly pickFolder: () => Promise<string | undefined>;
};

/** The IPC channel name for a contract channel. */
export const ipcChannel = (channel: StudioChannel): string => `studio:${channel}`;
export const IPC_EVENT_CHANNEL = 'studio:event';
export const IPC_PICK_FOLDER = 'studio-shell:pick-folder';
