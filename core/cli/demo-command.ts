/**
 * `dprdm demo`: indexes the model set's bundled demo "private" folder as the "Demo" dataset (budget ε 10) if it is
 * absent, generates a grid — four images for each of the model set's first four suggested prompts, one private query
 * per prompt — and writes the images, the grid, their provenance and the privacy statement to ./dprdm-demo/<time>/.
 */
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import sharp from 'sharp';
import { insertChunksBeforeEnd, internationalTextChunk, textChunk } from '../export/png-text-chunks.ts';
import { DEMO_DATASET_NAME, DEMO_EPSILON_CAP } from '../studio/service.ts';
import { GENERATION_DEFAULTS, StudioError } from '../contract/contract.ts';
import { indexProgress } from './progress-bar.ts';
import { optionalNumber, optionalString, parseFlags } from './flags.ts';
import { forPeople, printJson, type CommandIO } from './io.ts';
import { progressBar } from './progress-bar.ts';
import { UsageError } from './usage-error.ts';
import { withStudioService } from './with-studio-service.ts';
import { runFolder } from './out-folder.ts';

const TILE = 128;
const ROWS = 4;

export async function demoCommand(argv: string[], io: CommandIO): Promise<number> {
  const flags = parseFlags(argv, { epsilon: { type: 'string' }, lambda: { type: 'string' }, steps: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } });
  // Each prompt costs the Demo's planned spend unless --epsilon says otherwise.
  const epsilon = optionalNumber(flags, 'epsilon');
  const lambda = optionalNumber(flags, 'lambda');
  if (lambda !== undefined && !(lambda >= 0 && lambda <= 1)) throw new UsageError(`--lambda must be in [0, 1], got ${lambda}`);
  const steps = optionalNumber(flags, 'steps') ?? 25;
  if (epsilon !== undefined && !(epsilon > 0 && epsilon <= 10)) throw new UsageError(`--epsilon must be in (0, 10], got ${epsilon}`);
  if (!Number.isInteger(steps) || steps < 1 || steps > 200) throw new UsageError(`--steps must be an integer in 1..200, got ${steps}`);
  const outRoot = optionalString(flags, 'out');

  return withStudioService(io, { exportAnywhere: true }, async (service) => {
    await service.ensureDemoDataset(indexProgress(io, 'indexing the Demo dataset'), { evenIfRemoved: true });
    const datasetId = service.resolveDatasetRef(DEMO_DATASET_NAME);
    // The model set's suggested prompts name content only, so the look of the grid is the folder's.
    const prompts = (await service.handlers['studio.info']({}, {})).modelSet.examplePrompts.slice(0, ROWS);
    if (prompts.length === 0) throw new StudioError('INVALID_REQUEST', 'this model set suggests no prompts for the demo grid');
    const folder = runFolder(outRoot ?? 'dprdm-demo');
    // A refused --out (inside a private folder) must stop the demo before its queries are charged.
    service.checkExportFolder(folder);
    const bar = progressBar(io, 'generating');
    const imageIds: string[] = [];
    let last;
    for (const [row, prompt] of prompts.entries()) {
      last = await service.handlers['generate.run']({ datasetId, prompt, ...(epsilon !== undefined ? { epsilon } : {}), ...(lambda !== undefined ? { lambda } : {}), images: 4, guidance: GENERATION_DEFAULTS.guidance, steps, sampler: GENERATION_DEFAULTS.sampler, publicOnly: false }, {});
      imageIds.push(...last.images.map((i) => i.imageId));
      bar?.(row + 1, prompts.length);
    }
    const exported = await service.handlers['export.images']({ imageIds, folder }, {});
    const tiles = exported.files.filter((f) => f.endsWith('.png'));
    const composite = await Promise.all(
      tiles.map(async (file, i) => ({
        input: await sharp(join(folder, file)).resize(TILE, TILE, { kernel: 'nearest' }).toBuffer(),
        left: (i % 4) * TILE,
        top: Math.floor(i / 4) * TILE,
      })),
    );
    const grid = await sharp({ create: { width: 4 * TILE, height: prompts.length * TILE, channels: 3, background: '#ffffff' } }).composite(composite).png().toBuffer();
    // Every PNG the studio writes says where it came from: the grid points at its tiles' own provenance.
    const provenance = { format: 'dprdm-grid', prompts, tiles: tiles.map((file, i) => ({ file, row: Math.floor(i / 4), column: i % 4 })), see: 'manifest.json and PRIVACY.md in this folder' };
    writeFileSync(join(folder, 'grid.png'), insertChunksBeforeEnd(grid, [textChunk('parameters', `DP-RDM Studio demo grid of ${tiles.length} generated images (rows: ${prompts.join(' | ')}); each tile's provenance is in manifest.json`), internationalTextChunk('dprdm', JSON.stringify(provenance))]));
    const summary = { folder, grid: join(folder, 'grid.png'), prompts, epsilonPerPrompt: last?.parameters.epsilonCost, cumulativeEpsilon: last?.cumulativeEpsilon, remainingEpsilon: last?.remainingEpsilon };
    if (flags.values.json) printJson(io, summary);
    else {
      io.stdout(
        `Demo grid (rows: ${prompts.map((p) => `“${p}”`).join(', ')}):\n  ${summary.grid}\n` +
          `Images, manifest.json/csv and PRIVACY.md in ${folder}\n` +
          `Demo budget: ε ${forPeople(last?.cumulativeEpsilon)} of ${DEMO_EPSILON_CAP} spent, ε ${forPeople(last?.remainingEpsilon)} left.\n`,
      );
    }
    return 0;
  });
}
