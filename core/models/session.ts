/**
 * onnxruntime-node sessions, created only through the provider selection in execution-provider.ts and checked
 * against the input/output names the runtime relies on.
 */
import * as ort from 'onnxruntime-node';
import { ModelSetError } from './errors.ts';
import { type ExecutionOptions, type ProviderSelection, currentProviderEnvironment, selectExecutionProvider, sessionOptions } from './execution-provider.ts';

export interface OpenedSession {
  session: ort.InferenceSession;
  provider: ProviderSelection['provider'];
  /** Set when `auto` fell back to the CPU, or an accelerator failed to initialise. */
  note?: string;
}

export async function resolveProvider(options: ExecutionOptions = {}): Promise<ProviderSelection> {
  return selectExecutionProvider(options.provider, await currentProviderEnvironment());
}

/** Opens one model. With `auto`, an accelerator that fails to initialise falls back to the CPU with a note. */
export async function openSession(
  path: string,
  selection: ProviderSelection,
  options: ExecutionOptions,
  io: { inputs: readonly string[]; outputs: readonly string[] },
): Promise<OpenedSession> {
  let opened: OpenedSession;
  try {
    opened = { session: await ort.InferenceSession.create(path, sessionOptions(selection, options)), provider: selection.provider };
    if (selection.note) opened.note = selection.note;
  } catch (error) {
    if (options.provider === 'auto' && selection.provider !== 'cpu') {
      const cpu: ProviderSelection = { provider: 'cpu', executionProviders: ['cpu'], available: selection.available };
      opened = {
        session: await ort.InferenceSession.create(path, sessionOptions(cpu, options)),
        provider: 'cpu',
        note: `auto: ${selection.provider} failed to initialise (${(error as Error).message}); using the CPU`,
      };
    } else {
      throw new ModelSetError('MODEL_IO_MISMATCH', `Cannot open model ${path} with ${selection.provider}: ${(error as Error).message}`, path);
    }
  }
  const missingIn = io.inputs.filter((n) => !opened.session.inputNames.includes(n));
  const missingOut = io.outputs.filter((n) => !opened.session.outputNames.includes(n));
  if (missingIn.length > 0 || missingOut.length > 0) {
    await opened.session.release();
    throw new ModelSetError(
      'MODEL_IO_MISMATCH',
      `Model ${path} lacks ${[...missingIn.map((n) => `input "${n}"`), ...missingOut.map((n) => `output "${n}"`)].join(', ')} ` +
        `(has inputs ${opened.session.inputNames.join(', ')}; outputs ${opened.session.outputNames.join(', ')})`,
      path,
    );
  }
  return opened;
}

/** Runs a session and returns one output as float32. */
export async function runFloat(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>, output: string): Promise<Float32Array> {
  const result = await session.run(feeds, [output]);
  const tensor = result[output];
  if (!tensor || tensor.type !== 'float32') throw new Error(`model output "${output}" is missing or not float32`);
  return tensor.data as Float32Array;
}

export { ort };
