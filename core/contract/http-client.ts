/**
 * `StudioApi` over the local HTTP host. Browser-safe (fetch + EventSource/stream only, no Node imports): the
 * renderer uses it in a browser, and tests use it from Node. Every channel of the contract becomes a method,
 * so the client can never lag behind the contract.
 */
import { studioChannels, StudioError, type ConnectionState, type StudioApi, type StudioChannel, type StudioErrorBody, type StudioEvent, type StudioRequest, type StudioResponses } from './contract.ts';

export interface HttpClientOptions {
  /** e.g. http://127.0.0.1:5123/ ; empty string = same origin (the renderer served by the host). */
  readonly baseUrl: string;
  /** The studio's token, sent as `Authorization: Bearer` on every call (never a cookie). */
  readonly token?: string;
  readonly fetch?: typeof fetch;
}

export function createHttpStudioApi(options: HttpClientOptions): StudioApi {
  const doFetch = options.fetch ?? fetch;
  const base = options.baseUrl.replace(/\/$/, '');
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;

  async function call<C extends StudioChannel>(channel: C, request: StudioRequest<C>): Promise<StudioResponses[C]> {
    const res = await doFetch(`${base}/api/${channel}`, { method: 'POST', headers, body: JSON.stringify(request ?? {}), credentials: 'omit' });
    const body = (await res.json().catch(() => ({}))) as { error?: StudioErrorBody };
    if (!res.ok) {
      const error = body.error;
      throw new StudioError(error?.code ?? 'INTERNAL', error?.message ?? `the studio answered ${res.status}`, {
        ...(error?.remainingEpsilon !== undefined ? { remainingEpsilon: error.remainingEpsilon } : {}),
        ...(error?.suggestion !== undefined ? { suggestion: error.suggestion } : {}),
      });
    }
    return body as StudioResponses[C];
  }

  const listeners = new Set<(event: StudioEvent) => void>();
  const connectionListeners = new Set<(state: ConnectionState) => void>();
  let stop: (() => void) | undefined;

  function connectEvents(): () => void {
    const controller = new AbortController();
    // Whether the stream was lost since it last worked: a studio restarted on the same address and token is picked
    // up again by the retry loop below, and listeners hear that the connection came back.
    let lost = false;
    const connection = (state: ConnectionState) => {
      for (const listener of connectionListeners) listener(state);
    };
    void (async () => {
      while (!controller.signal.aborted) {
        try {
          const res = await doFetch(`${base}/api/events`, { headers: options.token ? { Authorization: `Bearer ${options.token}` } : {}, signal: controller.signal, credentials: 'omit' });
          if (!res.body) return;
          if (!res.ok) throw new Error(`events answered ${res.status}`);
          if (lost) {
            lost = false;
            connection('restored');
          }
          const reader = res.body.getReader();
          const decoder = new TextDecoder();
          let buffer = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buffer += decoder.decode(value, { stream: true });
            let end: number;
            while ((end = buffer.indexOf('\n\n')) >= 0) {
              const frame = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              const data = frame
                .split('\n')
                .filter((line) => line.startsWith('data: '))
                .map((line) => line.slice(6))
                .join('\n');
              if (data) for (const listener of listeners) listener(JSON.parse(data) as StudioEvent);
            }
          }
        } catch {
          if (controller.signal.aborted) return;
        }
        if (!lost) {
          lost = true;
          connection('lost');
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    })();
    return () => controller.abort();
  }

  const api = Object.fromEntries(Object.keys(studioChannels).map((channel) => [channel, (request: unknown) => call(channel as StudioChannel, request as never)])) as Omit<StudioApi, 'onEvent' | 'onConnection'>;
  return {
    ...api,
    onEvent(listener) {
      listeners.add(listener);
      stop ??= connectEvents();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) {
          stop?.();
          stop = undefined;
        }
      };
    },
    onConnection(listener) {
      connectionListeners.add(listener);
      return () => connectionListeners.delete(listener);
    },
  } as StudioApi;
}
