// The packaging workflow cannot run here (it needs macOS, Windows and Linux runners with internet); this reads it
// and checks that every installer target of electron-builder.yml is built by a job that also smoke-runs the
// packaged app, that signing secrets come from the environment, and that the installers are uploaded.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const yaml = require('js-yaml') as { load(text: string): unknown };
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Step {
  run?: string;
  uses?: string;
  if?: string;
  with?: Record<string, string>;
}
interface Workflow {
  jobs: { package: { strategy: { matrix: { include: { os: string; platform: string; arch: string; app: string }[] } }; env: Record<string, string>; steps: Step[] } };
}

const workflow = yaml.load(readFileSync(path.join(root, '.github', 'workflows', 'package.yml'), 'utf8')) as Workflow;
const builder = yaml.load(readFileSync(path.join(root, 'electron-builder.yml'), 'utf8')) as Record<'mac' | 'win' | 'linux', { target: { target: string; arch: string[] }[] }>;

describe('.github/workflows/package.yml', () => {
  const job = workflow.jobs.package;
  const matrix = job.strategy.matrix.include;

  it('builds every platform/arch that electron-builder.yml targets, each on its own runner', () => {
    const wanted = new Set((['mac', 'win', 'linux'] as const).flatMap((p) => builder[p].target.flatMap((t) => t.arch.map((a) => `${p}-${a}`))));
    expect(new Set(matrix.map((m) => `${m.platform}-${m.arch}`))).toEqual(wanted);
    expect(new Set(matrix.map((m) => m.os)).size).toBe(matrix.length);
  });

  it('packages with electron-builder for the matrix platform and arch, after the desktop build', () => {
    const runs = job.steps.map((s) => s.run ?? '');
    const build = runs.findIndex((r) => r.includes('npm run build:desktop'));
    const pack = runs.findIndex((r) => /electron-builder --config electron-builder\.yml --\$\{\{ matrix\.platform \}\} --\$\{\{ matrix\.arch \}\}/.test(r));
    expect(build).toBeGreaterThanOrEqual(0);
    expect(pack).toBeGreaterThan(build);
  });

  it('smoke-runs the packaged app on every job (Linux under xvfb), after packaging', () => {
    const smoke = job.steps.filter((s) => (s.run ?? '').includes('--smoke'));
    expect(smoke.map((s) => s.if)).toEqual(["matrix.platform != 'linux'", "matrix.platform == 'linux'"]);
    expect(smoke.find((s) => s.if?.includes('=='))!.run).toMatch(/^xvfb-run .*\$\{\{ matrix\.app \}\}.* --smoke$/);
    for (const m of matrix) expect(m.app, m.os).toMatch(/^out\/make\//);
  });

  it('reads the signing and notarisation secrets from the environment and uploads the installers', () => {
    for (const name of ['CSC_LINK', 'CSC_KEY_PASSWORD', 'APPLE_ID', 'APPLE_APP_SPECIFIC_PASSWORD', 'APPLE_TEAM_ID', 'WIN_CSC_LINK', 'WIN_CSC_KEY_PASSWORD']) {
      expect(job.env[name]).toBe(`\${{ secrets.${name} }}`);
    }
    const upload = job.steps.find((s) => s.uses?.startsWith('actions/upload-artifact'));
    expect(upload?.with?.path).toMatch(/\.dmg[\s\S]*\.exe[\s\S]*\.AppImage[\s\S]*\.deb/);
  });
});
