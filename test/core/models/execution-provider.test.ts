// The one place that picks an onnxruntime execution provider, played on every platform through a fake
// environment, plus the real one of this machine.
import { describe, expect, it } from 'vitest';
import {
  ModelSetError,
  type ProviderEnvironment,
  availableProviders,
  currentProviderEnvironment,
  selectExecutionProvider,
  sessionOptions,
} from '../../../core/models/index.ts';

const LINUX_NO_CUDA: ProviderEnvironment = {
  platform: 'linux',
  arch: 'x64',
  backends: [
    { name: 'cpu', bundled: true },
    { name: 'cuda', bundled: false },
  ],
  providerLibraryInstalled: () => false,
};
const LINUX_CUDA: ProviderEnvironment = { ...LINUX_NO_CUDA, providerLibraryInstalled: (p) => p === 'cuda' };
const WINDOWS: ProviderEnvironment = {
  platform: 'win32',
  arch: 'x64',
  backends: [
    { name: 'cpu', bundled: true },
    { name: 'dml', bundled: true },
    { name: 'cuda', bundled: false },
  ],
  providerLibraryInstalled: () => false,
};
const MAC: ProviderEnvironment = {
  platform: 'darwin',
  arch: 'arm64',
  backends: [
    { name: 'cpu', bundled: true },
    { name: 'coreml', bundled: true },
  ],
  providerLibraryInstalled: () => false,
};

function thrown(fn: () => unknown): ModelSetError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ModelSetError);
    return error as ModelSetError;
  }
  throw new Error('expected a ModelSetError');
}

describe('execution provider selection', () => {
  it('defaults to the CPU, with explicit single-thread session options', () => {
    const s = selectExecutionProvider(undefined, LINUX_CUDA);
    expect(s.provider).toBe('cpu');
    expect(s.executionProviders).toEqual(['cpu']);
    expect(sessionOptions(s)).toMatchObject({ executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1 });
    expect(sessionOptions(s, { intraOpThreads: 2 }).intraOpNumThreads).toBe(2);
    expect(() => sessionOptions(s, { intraOpThreads: 0 })).toThrow(RangeError);
  });

  it('lists what each platform has', () => {
    expect(availableProviders(LINUX_NO_CUDA)).toEqual(['cpu']);
    expect(availableProviders(LINUX_CUDA)).toEqual(['cpu', 'cuda']);
    expect(availableProviders(WINDOWS)).toEqual(['cpu', 'dml']);
    expect(availableProviders(MAC)).toEqual(['cpu', 'coreml']);
    expect(availableProviders({ ...LINUX_CUDA, arch: 'arm64' })).toEqual(['cpu']);
  });

  it('gives a requested accelerator that exists, with the CPU behind it', () => {
    expect(selectExecutionProvider('cuda', LINUX_CUDA).executionProviders).toEqual(['cuda', 'cpu']);
    expect(selectExecutionProvider('dml', WINDOWS).provider).toBe('dml');
    expect(selectExecutionProvider('coreml', MAC).provider).toBe('coreml');
  });

  it('refuses an unavailable provider with the valid ones listed', () => {
    const cuda = thrown(() => selectExecutionProvider('cuda', LINUX_NO_CUDA));
    expect(cuda.code).toBe('PROVIDER_UNAVAILABLE');
    expect(cuda.message).toMatch(/CUDA provider library is not installed/);
    expect(cuda.message).toMatch(/Valid here: cpu, auto$/);
    const dml = thrown(() => selectExecutionProvider('dml', MAC));
    expect(dml.message).toMatch(/DirectML is Windows-only/);
    expect(dml.message).toMatch(/Valid here: cpu, coreml, auto$/);
    const coreml = thrown(() => selectExecutionProvider('coreml', WINDOWS));
    expect(coreml.message).toMatch(/Valid here: cpu, dml, auto$/);
    const unknown = thrown(() => selectExecutionProvider('tpu' as never, WINDOWS));
    expect(unknown.message).toMatch(/Unknown execution provider "tpu"; valid here: cpu, dml, auto/);
  });

  it('auto picks an accelerator when there is one, else the CPU with a note saying why', () => {
    expect(selectExecutionProvider('auto', LINUX_CUDA)).toMatchObject({ provider: 'cuda', executionProviders: ['cuda', 'cpu'] });
    expect(selectExecutionProvider('auto', WINDOWS).provider).toBe('dml');
    const fallback = selectExecutionProvider('auto', LINUX_NO_CUDA);
    expect(fallback.provider).toBe('cpu');
    expect(fallback.note).toMatch(/cuda: .*not installed/);
    expect(fallback.note).toMatch(/dml: DirectML is Windows-only/);
    expect(fallback.note).toMatch(/coreml: CoreML is macOS-only/);
  });

  it('reads this machine: the CPU is always there', async () => {
    const env = await currentProviderEnvironment();
    expect(env.platform).toBe(process.platform);
    expect(availableProviders(env)).toContain('cpu');
    expect(selectExecutionProvider('auto', env).executionProviders.at(-1)).toBe('cpu');
  });
});
