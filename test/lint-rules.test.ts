import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The project's standing rules, checked against the real eslint.config.js.
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

  it('keep the renderer on the browser-safe contract: no other core/ module, no node: module', async () => {
    const uses = (from: string) => `import { x } from '${from}';\nexport const y = x;\n`;
    expect(await ruleIds(uses('../../../core/ledger/planner.ts'), 'renderer/src/state/bad.svelte.ts')).toContain('no-restricted-imports');
    expect(await ruleIds(uses('../../../core/studio/service.ts'), 'renderer/src/lib/bad.ts')).toContain('no-restricted-imports');
    expect(await ruleIds(uses('node:fs'), 'renderer/src/lib/bad.ts')).toContain('no-restricted-imports');
    expect(await ruleIds(uses('../../../core/contract/contract.ts'), 'renderer/src/lib/good.ts')).toEqual([]);
    expect(await ruleIds(uses('../../../core/contract/http-client.ts'), 'renderer/src/lib/good.ts')).toEqual([]);
  });

  it('forbid a lower floor of core/ to import a higher one, and keep the RNG ban there', async () => {
    const uses = (from: string) => `import { x } from '${from}';\nexport const y = x;\n`;
    expect(await ruleIds(uses('../ledger/filter.ts'), 'core/privacy/bad.ts')).toContain('no-restricted-imports');
    expect(await ruleIds(uses('../studio/contract.ts'), 'core/ledger/bad.ts')).toContain('no-restricted-imports');
    expect(await ruleIds(uses('../datasets/index.ts'), 'core/models/bad.ts')).toContain('no-restricted-imports');
    expect(await ruleIds(uses('../cli/main.ts'), 'core/studio/bad.ts')).toContain('no-restricted-imports');
    expect(await ruleIds(uses('../cli/main.ts'), 'core/server/bad.ts')).toContain('no-restricted-imports');
    expect(await ruleIds(uses('../studio/service.ts'), 'core/evaluation/bad.ts')).toContain('no-restricted-imports');
    expect(await ruleIds(uses('../evaluation/run.ts'), 'core/generation/bad.ts')).toContain('no-restricted-imports');
    expect(await ruleIds(uses('../ledger/index.ts'), 'core/contract/bad.ts')).toContain('no-restricted-imports');
    expect(await ruleIds("import seedrandom from 'seedrandom';\nexport const r = seedrandom;\n", 'core/privacy/x.ts')).toContain('no-restricted-imports');
    // downward is fine
    expect(await ruleIds(uses('../ledger/index.ts'), 'core/datasets/good.ts')).toEqual([]);
    expect(await ruleIds(uses('../generation/generator.ts'), 'core/evaluation/good.ts')).toEqual([]);
    expect(await ruleIds(uses('../contract/contract.ts'), 'core/ledger/good.ts')).toEqual([]);
    expect(await ruleIds(uses('../privacy/index.ts'), 'core/ledger/good.ts')).toEqual([]);
  });
});
