// Without --out, every CLI command writes a new folder per run under the current directory, never in the studio home.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runFolder } from '../../../core/cli/out-folder.ts';

describe('runFolder', () => {
  it('is ./dprdm-out/<time> (or ./dprdm-demo/<time>) in the current directory, a new one per run', () => {
    const at = new Date('2026-12-02T04:05:06.789Z');
    expect(runFolder('dprdm-out', at)).toBe(join(process.cwd(), 'dprdm-out', '2026-12-02T04-05-06-789Z'));
    expect(runFolder('dprdm-demo', at)).toBe(join(process.cwd(), 'dprdm-demo', '2026-12-02T04-05-06-789Z'));
    expect(runFolder('dprdm-out', new Date(at.getTime() + 1))).not.toBe(runFolder('dprdm-out', at));
    // and `demo --out DIR` puts each run in a folder of its own under DIR
    expect(runFolder('/tmp/grids', at)).toBe(join('/tmp/grids', '2026-12-02T04-05-06-789Z'));
  });
});
