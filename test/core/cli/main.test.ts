import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.ts';

describe('dprdm usage', () => {
  it('lists every command on --help (exit 0) and without a command (exit 2)', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['start', 'serve', 'generate', 'evaluate', 'demo', 'ledger', 'privacy', 'dataset']) expect(help.stdout).toContain(`dprdm ${command}`);
    expect((await runCli([])).code).toBe(2);
  });

  it('answers `<command> --help` with that command’s usage and charges or indexes nothing', async () => {
    const { code, stdout, stderr } = await runCli(['generate', '--help']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^usage: dprdm generate --dataset .*--epsilon E.*--public-only/);
  });

  it('names the flags a command takes when given an unknown one, in one line, exit 2', async () => {
    const { code, stdout, stderr } = await runCli(['privacy', 'epsilon', '--sigmaa', '1']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/Unknown option '--sigmaa'; this command takes .*--sigma\b/);
    expect(stderr).not.toMatch(/positional argument/);
  });

  it('refuses an unknown command with the list of commands', async () => {
    const { code, stderr } = await runCli(['genrate']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/unknown command "genrate"; try: start, serve, generate/);
  });
});
