// The studio's address survives restarts: the same port (the default or the next free one) and a per-home token kept
// in a file only its owner can read, so an open tab or a bookmark keeps working; a tab without the token gets the app
// shell, which only says how to get in, while the API keeps its JSON errors.
import { statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CommandIO } from '../../../core/cli/io.ts';
import { DEFAULT_STUDIO_PORT, startStudioHost } from '../../../core/cli/serve-command.ts';
import { cleanupTemp, tempDir } from '../studio/helpers.ts';

const io: CommandIO = { stdout: () => undefined, stderr: () => undefined, interactive: false };

describe('a stable address', () => {
  const previous = process.env.DPRDM_HOME;
  afterAll(() => {
    if (previous === undefined) delete process.env.DPRDM_HOME;
    else process.env.DPRDM_HOME = previous;
    cleanupTemp();
  });

  it('keeps port and token across restarts, stores the token 0600, and falls back to the next port when one is taken', { timeout: 120_000 }, async () => {
    const home = tempDir('dprdm-address-');
    process.env.DPRDM_HOME = home;
    // something else already holds the default port: the studio takes a later one, the same one each time
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(DEFAULT_STUDIO_PORT, '127.0.0.1', () => resolve())).catch(() => undefined);
    try {
      const first = await startStudioHost(io);
      const url = new URL(first.loginUrl);
      await first.close();
      const second = await startStudioHost(io);
      expect(second.loginUrl).toBe(first.loginUrl);
      expect(Number(url.port)).toBeGreaterThan(DEFAULT_STUDIO_PORT);
      expect(Number(url.port)).toBeLessThanOrEqual(DEFAULT_STUDIO_PORT + 10);
      expect(statSync(join(home, 'host-token')).mode & 0o777).toBe(0o600);
      // an old tab's calls work again after the restart; without the token the API answers JSON 401
      const token = url.searchParams.get('token')!;
      const info = await fetch(new URL('/api/studio.info', url), { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: '{}' });
      expect(info.status).toBe(200);
      const bare = await fetch(new URL('/api/studio.info', url), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
      expect(bare.status).toBe(401);
      expect(((await bare.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
      await second.close();
    } finally {
      squatter.close();
    }
  });
});
