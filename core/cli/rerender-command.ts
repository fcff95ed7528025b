/**
 * `dprdm rerender <generationId> [--seeds a,b,…] [--steps N] [--guidance G] [--sampler ddim|dpmpp-2m] [--out DIR] [--json]`: new images from a
 * generation's kept condition — post-processing of its DP release, so nothing is charged and nothing private is
 * read — exported like `dprdm generate` exports. The same seed gives the same pixels.
 */
import { resolve } from 'node:path';
import { parseRequest } from '../contract/contract.ts';
import { optionalNumber, optionalString, parseFlags } from './flags.ts';
import { asUsage, seedList } from './generate-command.ts';
import { printJson, type CommandIO } from './io.ts';
import { UsageError } from './usage-error.ts';
import { withStudioService } from './with-studio-service.ts';
import { runFolder } from './out-folder.ts';

export async function rerenderCommand(argv: string[], io: CommandIO): Promise<number> {
  const flags = parseFlags(argv, { seeds: { type: 'string' }, steps: { type: 'string' }, guidance: { type: 'string' }, sampler: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } }, 1);
  const generationId = flags.positionals[0];
  if (generationId === undefined) throw new UsageError('usage: dprdm rerender <generationId> [--seeds a,b,…] [--steps N] [--guidance G] [--sampler ddim|dpmpp-2m] [--out DIR] [--json]');
  const request = asUsage(() =>
    parseRequest('generate.rerender', JSON.parse(JSON.stringify({ generationId, seeds: seedList(optionalString(flags, 'seeds')), steps: optionalNumber(flags, 'steps'), guidance: optionalNumber(flags, 'guidance'), sampler: optionalString(flags, 'sampler') })) as unknown),
  );
  const out = resolve(optionalString(flags, 'out') ?? runFolder('dprdm-out'));
  return withStudioService(io, { exportAnywhere: true }, async (service) => {
    service.checkExportFolder(out);
    const result = await service.handlers['generate.rerender'](request, {});
    const exported = await service.handlers['export.images']({ imageIds: result.images.map((i) => i.imageId), folder: out }, {});
    if (flags.values.json) printJson(io, { generation: result, export: exported });
    else {
      const cost = result.chargeSpent ? `a new private query (receipt ${result.receiptId})` : 'no privacy cost: drawn from the generation’s kept condition';
      io.stdout(`${result.images.length} images in ${exported.folder}\n  ${cost}\n  seeds: ${result.images.map((i) => i.seed).join(', ')}\n`);
    }
    return 0;
  });
}
