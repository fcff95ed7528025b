/**
 * The renderer reaches the studio only through a `StudioApi`. Two transports:
 *  - Electron: the preload's `window.studio` bridge (IPC), wrapped so failures become `StudioError`s again;
 *  - HTTP: `createHttpStudioApi` against the local host that served this page (same origin), with the token the
 *    printed URL carried (./session-token.ts) as a Bearer header.
 */
import { studioChannels, StudioError, type StudioApi, type StudioChannel } from '../../../core/contract/contract.ts';
import { createHttpStudioApi } from '../../../core/contract/http-client.ts';
import type { IpcEnvelope, StudioBridge } from '../../../electron/bridge.ts';
import { takeSessionToken } from './session-token.ts';

export interface Transport {
  readonly api: StudioApi;
  readonly kind: 'electron' | 'http';
  /** The native folder picker when the desktop shell offers one. */
  readonly pickFolder?: () => Promise<string | undefined>;
  /** In a browser without the studio's token: the page can only say how to get in. */
  readonly needsToken?: boolean;
}

export function createIpcStudioApi(bridge: StudioBridge): StudioApi {
  const unwrap = async <T>(reply: Promise<IpcEnvelope<T>>): Promise<T> => {
    const envelope = await reply;
    if (envelope.ok) return envelope.value;
    const { code, message, remainingEpsilon, suggestion } = envelope.error;
    throw new StudioError(code, message, {
      ...(remainingEpsilon !== undefined ? { remainingEpsilon } : {}),
      ...(suggestion !== undefined ? { suggestion } : {}),
    });
  };
  const methods = Object.fromEntries(
    (Object.keys(studioChannels) as StudioChannel[]).map((channel) => [channel, (request: unknown) => unwrap((bridge[channel] as (r: unknown) => Promise<IpcEnvelope<unknown>>)(request ?? {}))]),
  );
  return { ...methods, onEvent: (listener) => bridge.onEvent(listener) } as StudioApi;
}

export function chooseTransport(win: { studio?: StudioBridge } = globalThis as { studio?: StudioBridge }): Transport {
  if (win.studio) {
    const bridge = win.studio;
    return { api: createIpcStudioApi(bridge), kind: 'electron', pickFolder: () => bridge.pickFolder() };
  }
  const token = typeof window === 'undefined' ? undefined : takeSessionToken({ location: window.location, history: window.history, storage: window.sessionStorage });
  return { api: createHttpStudioApi({ baseUrl: '', ...(token ? { token } : {}) }), kind: 'http', needsToken: token === undefined };
}
