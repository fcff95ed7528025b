/**
 * Typed IPC: every contract channel is registered through one `handle()` wrapper that
 *  1. refuses senders other than the app's own window (its main frame, on the app's origin),
 *  2. validates the payload with the contract's schema (`parseRequest`), and
 *  3. answers with an envelope, so a `StudioError`'s code and budget fields survive the trip.
 * Unexpected errors are reported without their message: it could carry internal details.
 */
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { parseRequest, StudioError, type StudioChannel, type StudioErrorBody, type StudioHandlers } from '../core/contract/contract.ts';
import { ipcChannel, IPC_PICK_FOLDER, type IpcEnvelope } from './bridge.ts';
import { STUDIO_CHANNELS } from './channels.ts';
import { isAppUrl } from './security.ts';

export type IpcMainLike = Pick<IpcMain, 'handle' | 'removeHandler'>;
export type SenderCheck = (event: IpcMainInvokeEvent) => boolean;

/** Trusts only `contents` itself, its main frame, showing the app's own origin. */
export function trustedSender(contents: () => WebContents | undefined): SenderCheck {
  return (event) => {
    const own = contents();
    if (!own || own.isDestroyed() || event.sender !== own) return false;
    const frame = event.senderFrame;
    return frame !== null && frame === own.mainFrame && isAppUrl(frame.url);
  };
}

const REFUSED: StudioErrorBody = { code: 'UNAUTHORIZED', message: 'this window may not call the studio' };

export function toEnvelopeError(error: unknown, channel: string): StudioErrorBody {
  if (error instanceof StudioError) return error.toBody();
  // Log the kind only: messages from deep inside the engine may name files.
  console.error(`[studio] ${channel}: internal error (${error instanceof Error ? error.name : typeof error})`);
  return { code: 'INTERNAL', message: 'the studio hit an internal error; the request did nothing visible. Try again, and restart the studio if it repeats.' };
}

/** The one wrapper every IPC entry point goes through. */
export function handle<T>(ipc: IpcMainLike, channel: string, isTrusted: SenderCheck, run: (payload: unknown, event: IpcMainInvokeEvent) => Promise<T>): void {
  ipc.handle(channel, async (event, payload: unknown): Promise<IpcEnvelope<T>> => {
    if (!isTrusted(event)) return { ok: false, error: REFUSED };
    try {
      return { ok: true, value: await run(payload, event) };
    } catch (error) {
      return { ok: false, error: toEnvelopeError(error, channel) };
    }
  });
}

/** Registers every contract channel; `signal` aborts in-flight work when the window goes away. */
export function registerStudioIpc(ipc: IpcMainLike, handlers: StudioHandlers, isTrusted: SenderCheck, signal?: AbortSignal): () => void {
  for (const channel of STUDIO_CHANNELS) {
    handle(ipc, ipcChannel(channel), isTrusted, (payload) => {
      const request = parseRequest(channel, payload);
      const handler = handlers[channel] as (request: unknown, context: { signal?: AbortSignal }) => Promise<unknown>;
      return handler(request, signal ? { signal } : {});
    });
  }
  return () => {
    for (const channel of STUDIO_CHANNELS) ipc.removeHandler(ipcChannel(channel as StudioChannel));
  };
}

/** Shell-only calls that are not part of the studio contract (the native folder picker). */
export function registerShellIpc(ipc: IpcMainLike, isTrusted: SenderCheck, shell: { pickFolder(): Promise<string | undefined> }): void {
  handle(ipc, IPC_PICK_FOLDER, isTrusted, () => shell.pickFolder());
}
