/**
 * The ONE place that decides which onnxruntime-node execution provider runs the models (docs/design.md §6).
 *
 *  - `cpu` (default) works everywhere;
 *  - `cuda` on Linux/Windows x64, when onnxruntime-node's CUDA provider library is installed next to its binding
 *    (the package's installer fetches it; it is skipped on machines without internet, package.json's allowScripts denies it);
 *  - `dml` (DirectML) on Windows, bundled with the package;
 *  - `coreml` on macOS, built into the binding;
 *  - `auto`: the first available of cuda, dml, coreml, else cpu — with a note that says why each accelerator
 *    is unavailable here.
 * Asking for a provider this machine does not have is an error that lists the ones it does have.
 * Thread counts are always set explicitly: on small machines under load one intra-op thread is often fastest.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import { ModelSetError } from './errors.ts';
import type { EXECUTION_PROVIDERS } from '../contract/contract.ts';

export const ACCELERATORS = ['cuda', 'dml', 'coreml'] as const satisfies readonly (typeof EXECUTION_PROVIDERS)[number][];
export type Accelerator = (typeof ACCELERATORS)[number];
export type ExecutionProviderName = 'cpu' | Accelerator;
export type ExecutionProviderRequest = ExecutionProviderName | 'auto';

/** What the selection looks at; injectable so that tests can play any platform. */
export interface ProviderEnvironment {
  platform: NodeJS.Platform;
  arch: string;
  /** onnxruntime-node's `listSupportedBackends()` for this build. */
  backends: ReadonlyArray<{ name: string; bundled: boolean }>;
  /** Whether an unbundled provider's shared library is installed (e.g. libonnxruntime_providers_cuda.so). */
  providerLibraryInstalled: (provider: string) => boolean;
}

export interface ProviderSelection {
  /** The provider that will run the models. */
  provider: ExecutionProviderName;
  /** onnxruntime `executionProviders`, in order of preference (always ending with cpu). */
  executionProviders: ExecutionProviderName[];
  /** Every provider usable on this machine. */
  available: ExecutionProviderName[];
  /** For `auto`: why the accelerators were not chosen. */
  note?: string;
}

export interface ThreadOptions {
  /** Threads inside one operator (default 1: best on 2-core machines that do other work). */
  intraOpThreads?: number;
  /** Threads across independent operators (default 1). */
  interOpThreads?: number;
}

export interface ExecutionOptions extends ThreadOptions {
  provider?: ExecutionProviderRequest;
}

const PROVIDER_LIBRARY: Record<string, string> = {
  'cuda:linux': 'libonnxruntime_providers_cuda.so',
  'cuda:win32': 'onnxruntime_providers_cuda.dll',
};

/** The real environment of this process. */
export async function currentProviderEnvironment(): Promise<ProviderEnvironment> {
  const ort = await import('onnxruntime-node');
  const require = createRequire(import.meta.url);
  const bindingDir = join(dirname(require.resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', process.platform, process.arch);
  return {
    platform: process.platform,
    arch: process.arch,
    backends: ort.listSupportedBackends(),
    providerLibraryInstalled: (provider) => {
      const lib = PROVIDER_LIBRARY[`${provider}:${process.platform}`];
      return lib !== undefined && existsSync(join(bindingDir, lib));
    },
  };
}

/** Why `provider` cannot run here, or undefined when it can. */
export function unavailableReason(provider: Accelerator, env: ProviderEnvironment): string | undefined {
  const { platform, arch } = env;
  const backend = env.backends.find((b) => b.name === provider);
  switch (provider) {
    case 'cuda':
      if (!((platform === 'linux' || platform === 'win32') && arch === 'x64')) return `CUDA needs Linux or Windows on x64 (this is ${platform}/${arch})`;
      if (!backend) return 'this onnxruntime-node build has no CUDA provider';
      if (!backend.bundled && !env.providerLibraryInstalled('cuda')) {
        return "onnxruntime-node's CUDA provider library is not installed (its installer was skipped; reinstall with ONNXRUNTIME_NODE_INSTALL_CUDA=v12 on a machine with internet)";
      }
      return undefined;
    case 'dml':
      if (platform !== 'win32') return `DirectML is Windows-only (this is ${platform})`;
      if (!backend) return 'this onnxruntime-node build has no DirectML provider';
      return undefined;
    case 'coreml':
      if (platform !== 'darwin') return `CoreML is macOS-only (this is ${platform})`;
      if (!backend) return 'this onnxruntime-node build has no CoreML provider';
      return undefined;
  }
}

export function availableProviders(env: ProviderEnvironment): ExecutionProviderName[] {
  return ['cpu', ...ACCELERATORS.filter((p) => unavailableReason(p, env) === undefined)];
}

/** Resolves a request to a provider, or throws `ModelSetError('PROVIDER_UNAVAILABLE')` listing the valid ones. */
export function selectExecutionProvider(request: ExecutionProviderRequest | undefined, env: ProviderEnvironment): ProviderSelection {
  const available = availableProviders(env);
  const wanted = request ?? 'cpu';
  if (wanted === 'cpu') return { provider: 'cpu', executionProviders: ['cpu'], available };
  if (wanted === 'auto') {
    const best = ACCELERATORS.find((p) => available.includes(p));
    if (best) return { provider: best, executionProviders: [best, 'cpu'], available };
    const reasons = ACCELERATORS.map((p) => `${p}: ${unavailableReason(p, env) ?? 'unavailable'}`).join('; ');
    return { provider: 'cpu', executionProviders: ['cpu'], available, note: `auto: using the CPU because no accelerator is available (${reasons})` };
  }
  if (!(ACCELERATORS as readonly string[]).includes(wanted)) {
    throw new ModelSetError('PROVIDER_UNAVAILABLE', `Unknown execution provider "${String(wanted)}"; valid here: ${[...available, 'auto'].join(', ')}`);
  }
  const reason = unavailableReason(wanted, env);
  if (reason !== undefined) {
    throw new ModelSetError('PROVIDER_UNAVAILABLE', `Execution provider "${wanted}" is unavailable: ${reason}. Valid here: ${[...available, 'auto'].join(', ')}`);
  }
  return { provider: wanted, executionProviders: [wanted, 'cpu'], available };
}

function threadCount(name: string, value: number | undefined): number {
  const n = value ?? 1;
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new RangeError(`${name} must be an integer in [1, 256], got ${String(value)}`);
  return n;
}

/**
 * The session settings that affect numerics, as the trainer's Python reference sessions use them (golden.py):
 * one intra-op and one inter-op thread, sequential execution, full graph optimisation. Golden tests run with
 * these; any other thread count changes only the order of float32 summation.
 */
export const REFERENCE_NUMERICS: Required<ThreadOptions> = Object.freeze({ intraOpThreads: 1, interOpThreads: 1 });

/** onnxruntime session options for a selection and thread counts (graph optimisation and execution mode pinned). */
export function sessionOptions(selection: ProviderSelection, threads: ThreadOptions = {}): InferenceSession.SessionOptions {
  return {
    executionProviders: selection.executionProviders,
    intraOpNumThreads: threadCount('intraOpThreads', threads.intraOpThreads),
    interOpNumThreads: threadCount('interOpThreads', threads.interOpThreads),
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  };
}
