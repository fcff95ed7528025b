/**
 * The export room: generated images with provenance and a privacy statement, written to a folder the export-path
 * policy allows (inside the studio's exports folder unless the CLI asked otherwise; never in or around a private
 * folder; never over an existing folder).
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { writeExportFolder, type ExportItem } from '../../export/export-images.ts';
import { exportPrivacyStatement } from '../../export/privacy-statement.ts';
import { isWithin, realPathOf } from '../../confinement.ts';
import { describeSizeClass } from '../../ledger/index.ts';
import { StudioError, type StudioHandlers } from '../../contract/contract.ts';
import { generationsRoot } from '../../generation/generator.ts';
import { homeLayout } from '../../paths.ts';
import type { StudioContext } from '../context.ts';

/** The folder `export.images` would write to, or the StudioError it refuses with (checked before anything else). */
export function exportFolderFor(ctx: Pick<StudioContext, 'home' | 'catalog' | 'exportAnywhere'>, requested: string | undefined): string {
  const exportsRoot = homeLayout(ctx.home).exports;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const folder = requested === undefined ? join(exportsRoot, `${stamp}-${randomUUID().slice(0, 8)}`) : isAbsolute(requested) ? resolve(requested) : resolve(exportsRoot, requested);
  // Real paths: a symlink cannot smuggle the export into a private folder.
  const target = realPathOf(folder);
  if (!ctx.exportAnywhere && !isWithin(realPathOf(exportsRoot), target)) {
    throw new StudioError('INVALID_REQUEST', `exports are written inside the studio's exports folder (${exportsRoot}); give a name, not a path elsewhere`);
  }
  for (const root of ctx.catalog.folders()) {
    if (isWithin(realPathOf(root), target) || isWithin(target, realPathOf(root))) throw new StudioError('INVALID_REQUEST', 'an export cannot be written inside (or around) a private image folder; choose another folder');
  }
  if (existsSync(target)) throw new StudioError('INVALID_REQUEST', `the export folder ${folder} already exists; choose a new name`);
  return target;
}

export function exportHandlers(ctx: StudioContext): Pick<StudioHandlers, 'export.images'> {
  const { ledger, history, generator, manifest, home } = ctx;
  return {
    'export.images': async (r) => {
      const size = manifest.decoder.imageSize;
      const items: ExportItem[] = r.imageIds.map((imageId) => {
        const image = history.image(imageId);
        const generation = image && history.generation(image.generationId);
        if (!image || !generation) throw new StudioError('NOT_FOUND', `no image ${imageId}`);
        return { source: join(generationsRoot(home), generation.generationId, image.file), provenance: generator.provenanceOf(generation, image, size) };
      });
      const folder = exportFolderFor(ctx, r.folder);
      const datasetIds = [...new Set(items.flatMap((item) => (item.provenance.privacy.mode === 'private' ? [item.provenance.privacy.datasetId] : [])))];
      const collections = datasetIds.map((datasetId) => {
        const info = ledger.getDataset(datasetId);
        return {
          datasetId,
          epsilonCap: info.epsilonCap,
          delta: info.delta,
          spentEpsilon: info.cumulativeEpsilon,
          queries: info.charges,
          order: info.filter.order,
          sizeClass: describeSizeClass(info.sizeClass),
          q: info.q,
          k: info.k,
          legacyCharges: info.filterFromSeq - 1,
          head: ledger.head(datasetId),
        };
      });
      const files = writeExportFolder(
        folder,
        items,
        (written) =>
          exportPrivacyStatement({
            collections,
            images: written.map((f) => {
              const p = f.provenance.privacy;
              return p.mode === 'private'
                ? { file: f.file, mode: 'private' as const, datasetId: p.datasetId, epsilonCost: p.epsilonCost, receiptId: p.receiptId }
                : { file: f.file, mode: 'public-only' as const, datasetId: null, epsilonCost: 0, receiptId: null };
            }),
          }),
        collections.map((c) => ({ datasetId: c.datasetId, ...c.head })),
      );
      return { folder, files: [...files.map((f) => f.file), 'manifest.json', 'manifest.csv', 'PRIVACY.md'] };
    },
  };
}
