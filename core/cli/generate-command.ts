/**
 * `dprdm generate`: one private (or public-only) generation through the studio service, exported with its
 * provenance and privacy statement. The request is validated by the same schema the HTTP API and the window use.
 */
import { resolve } from 'node:path';
import { parseRequest, StudioError, type StudioEvent } from '../contract/contract.ts';
import { DEMO_DATASET_NAME } from '../studio/service.ts';
import { indexProgress } from './progress-bar.ts';
import { optionalNumber, optionalString, parseFlags, requireString } from './flags.ts';
import { forPeople, printJson, type CommandIO } from './io.ts';
import { progressBar } from './progress-bar.ts';
import { UsageError } from './usage-error.ts';
import { withStudioService } from './with-studio-service.ts';
import { runFolder } from './out-folder.ts';

const FLAGS = {
  dataset: { type: 'string' },
  prompt: { type: 'string' },
  epsilon: { type: 'string' },
  sigma: { type: 'string' },
  k: { type: 'string' },
  q: { type: 'string' },
  lambda: { type: 'string' },
  images: { type: 'string' },
  guidance: { type: 'string' },
  steps: { type: 'string' },
  sampler: { type: 'string' },
  seeds: { type: 'string' },
  out: { type: 'string' },
  'public-only': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

export function seedList(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  return text.split(',').map((s) => {
    const v = Number(s.trim());
    if (!/^\d+$/.test(s.trim()) || !Number.isSafeInteger(v)) throw new UsageError(`--seeds must be comma-separated integers, got "${text}"`);
    return v;
  });
}

/** Contract validation errors are usage errors here (exit 2, one line). */
export function asUsage<T>(body: () => T): T {
  try {
    return body();
  } catch (error) {
    if (error instanceof StudioError && error.code === 'INVALID_REQUEST') throw new UsageError(error.message.replace(/^generate\.run: /, ''));
    throw error;
  }
}

export async function generateCommand(argv: string[], io: CommandIO): Promise<number> {
  const flags = parseFlags(argv, FLAGS);
  const publicOnly = flags.values['public-only'] === true;
  if (publicOnly) {
    const meaningless = (['epsilon', 'sigma', 'q'] as const).filter((name) => flags.values[name] !== undefined);
    if (meaningless.length > 0) throw new UsageError(`${meaningless.map((n) => `--${n}`).join(', ')} ${meaningless.length === 1 ? 'has' : 'have'} no meaning with --public-only (a public-only generation reads no private data and spends nothing)`);
  }
  const datasetRef = publicOnly ? optionalString(flags, 'dataset') : requireString(flags, 'dataset');
  const raw = {
    datasetId: 'pending',
    prompt: requireString(flags, 'prompt'),
    epsilon: optionalNumber(flags, 'epsilon'),
    sigma: optionalNumber(flags, 'sigma'),
    k: optionalNumber(flags, 'k'),
    q: optionalNumber(flags, 'q'),
    lambda: optionalNumber(flags, 'lambda'),
    images: optionalNumber(flags, 'images'),
    guidance: optionalNumber(flags, 'guidance'),
    steps: optionalNumber(flags, 'steps'),
    sampler: optionalString(flags, 'sampler'),
    seeds: seedList(optionalString(flags, 'seeds')),
    publicOnly,
  };
  const request = asUsage(() => parseRequest('generate.run', JSON.parse(JSON.stringify(raw)) as unknown));
  const out = resolve(optionalString(flags, 'out') ?? runFolder('dprdm-out'));

  return withStudioService(io, { exportAnywhere: true }, async (service) => {
    // `--dataset demo` works on a fresh studio too: the bundled Demo dataset is indexed first, as on first start.
    if (datasetRef?.toLowerCase() === DEMO_DATASET_NAME.toLowerCase()) await service.ensureDemoDataset(indexProgress(io, 'indexing the Demo dataset'));
    const datasetId = datasetRef === undefined ? undefined : service.resolveDatasetRef(datasetRef);
    // A refused --out (inside a private folder, or existing) must stop the run before its query is charged.
    service.checkExportFolder(out);
    // A prompt of only unknown words would condition on nothing the model understands: refuse before any charge.
    const check = await service.handlers['prompt.check']({ prompt: request.prompt }, {});
    if (check.tokens > 0 && check.knownTokens === 0) {
      throw new UsageError(`the model set knows none of the words of “${request.prompt}” (${check.unknownWords.join(', ')}); rephrase it — nothing was charged`);
    }
    const bar = progressBar(io, 'generating');
    const unsubscribe = service.subscribe((e: StudioEvent) => {
      if (e.type === 'progress' && e.task === 'generate') bar?.(e.done, e.total);
    });
    let result;
    try {
      result = await service.handlers['generate.run']({ ...request, datasetId: datasetId ?? 'public' }, {});
    } finally {
      unsubscribe();
    }
    const exported = await service.handlers['export.images']({ imageIds: result.images.map((i) => i.imageId), folder: out }, {});
    if (flags.values.json) printJson(io, { generation: result, export: exported });
    else {
      const cost = result.publicOnly
        ? 'public-only: no private data used, no budget spent'
        : `ε ${forPeople(result.parameters.epsilonCost)} spent (σ ${forPeople(result.parameters.sigma)}, k ${result.parameters.k}, q ${forPeople(result.parameters.q)}; folder influence ${result.parameters.influence ?? 'none'}); ε ${forPeople(result.cumulativeEpsilon)} spent in all, ε ${forPeople(result.remainingEpsilon)} left (receipt ${result.receiptId})`;
      io.stdout(`${result.images.length} images in ${exported.folder}\n  ${cost}\n  seeds: ${result.images.map((i) => i.seed).join(', ')}\n  provenance: manifest.json, manifest.csv, PRIVACY.md\n`);
    }
    return 0;
  });
}
