import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The project's two standing rules, checked against the real eslint.config.js.
const eslint = new ESLint({ cwd: process.cwd() });
async function ruleIds(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => m.ruleId ?? 'fatal');
}

/** A module importing `app` from `moduleName`; built here so this test file holds no such import itself. */
const importsApp = (moduleName: string) => `import { app } from '${moduleName}';\nexport const a = app;\n`;
const ELECTRON = 'electron';

describe('project lint rules', () => {
  it('forbid Math.random under core/', async () => {
    expect(await ruleIds('export const x = Math.random();\n', 'core/privacy/bad.ts')).toContain('no-restricted-properties');
    expect(await ruleIds("export const x = Math['random']();\n", 'core/privacy/bad.ts')).toContain('no-restricted-syntax');
  });

  it('forbid non-cryptographic RNG packages under core/', async () => {
    expect(await ruleIds("import seedrandom from 'seedrandom';\nexport const r = seedrandom;\n", 'core/x.ts')).toContain('no-restricted-imports');
  });

  it('allow node:crypto under core/', async () => {
    expect(await ruleIds("import { randomBytes } from 'node:crypto';\nexport const b = randomBytes(4);\n", 'core/x.ts')).toEqual([]);
  });

  it('forbid importing electron outside electron/', async () => {
    expect(await ruleIds(importsApp(ELECTRON), 'core/x.ts')).toContain('no-restricted-imports');
    expect(await ruleIds(importsApp(ELECTRON), 'renderer/x.ts')).toContain('no-restricted-imports');
  });

  it('allow electron inside electron/', async () => {
    expect(await ruleIds(importsApp(ELECTRON), 'electron/main.ts')).toEqual([]);
  });
});
