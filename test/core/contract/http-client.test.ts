// The HTTP client keeps a tab working across a studio restart: the studio comes back on the same address with the
// same token (the serve command's per-home token and default port), the client's event stream retries by itself,
// and onConnection says 'lost' when it drops and 'restored' when it is back; calls work again without a reload.
import { afterEach, describe, expect, it } from 'vitest';
import { startHttpHost, type HttpHost } from '../../../core/server/http-host.ts';
import type { ConnectionState, StudioEvent, StudioHandlers } from '../../../core/contract/contract.ts';
import { createHttpStudioApi } from '../../../core/contract/http-client.ts';

const info = { version: '0', modelSet: { name: 'm', version: '1', embeddingDim: 4, k: 8, examplePrompts: [] }, dataDirectory: '/x', executionProviders: [] };
const handlers = { 'studio.info': async () => info } as unknown as StudioHandlers;
const subscribe = (_listener: (event: StudioEvent) => void) => () => undefined;
let host: HttpHost | undefined;
afterEach(async () => {
  await host?.close();
  host = undefined;
});

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('HTTP client across a studio restart', () => {
  it('says the studio was lost, then restored on the same address and token, and calls work again', async () => {
    host = await startHttpHost({ handlers, subscribe, port: 0, token: 'a-stable-token-of-this-home' });
    const { port, url } = host;
    const api = createHttpStudioApi({ baseUrl: url, token: 'a-stable-token-of-this-home' });
    const states: ConnectionState[] = [];
    const stopEvents = api.onEvent(() => undefined);
    const stopConnection = api.onConnection!((s) => states.push(s));
    expect((await api['studio.info']({})).version).toBe('0');

    await host.close();
    host = undefined;
    await until(() => states.includes('lost'));
    await expect(api['studio.info']({})).rejects.toThrow();

    host = await startHttpHost({ handlers, subscribe, port, token: 'a-stable-token-of-this-home' });
    await until(() => states.at(-1) === 'restored');
    expect(states).toEqual(['lost', 'restored']);
    expect((await api['studio.info']({})).version).toBe('0');
    stopConnection();
    stopEvents();
  }, 30_000);
});
