// The folder-familiarity measure: the median cosine of (up to 256 evenly spaced) indexed rows to their nearest
// public row, and the warning below the model set's threshold. Then through the studio with the real encoder:
// the demo world's own images are familiar, noise is not, and the measure reaches only the curator's detail view.
import { mkdirSync, readdirSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { folderFamiliarity } from '../../../core/datasets/familiarity.ts';
import { createStudioService } from '../../../core/studio/service.ts';
import { cleanupTemp, DEMO_FOLDER, localApi, tempDir } from '../studio/helpers.ts';

const unit = (v: number[]) => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};

describe('folderFamiliarity', () => {
  const reference = { data: Float32Array.from([...unit([1, 0, 0]), ...unit([0, 1, 0])]), count: 2, dim: 3, warnBelow: 0.9 };

  it('is the median nearest-public cosine, and warns below the threshold', () => {
    const near = Float32Array.from([...unit([1, 0.1, 0]), ...unit([0.1, 1, 0]), ...unit([1, 0, 0.05])]);
    const f = folderFamiliarity(near, 3, 3, reference)!;
    expect(f.median).toBeCloseTo(unit([1, 0.1, 0])[0]!, 6);
    expect(f.unfamiliar).toBe(false);
    const far = Float32Array.from([...unit([0, 0, 1]), ...unit([0.2, 0, 1]), ...unit([0, 0.3, 1])]);
    const g = folderFamiliarity(far, 3, 3, reference)!;
    expect(g.median).toBeCloseTo(unit([0.2, 0, 1])[0]!, 6);
    expect(g).toMatchObject({ warnBelow: 0.9, unfamiliar: true });
  });

  it('gives nothing for an empty folder or a dimension that does not match', () => {
    expect(folderFamiliarity(new Float32Array(0), 0, 3, reference)).toBeUndefined();
    expect(folderFamiliarity(Float32Array.from([1, 0]), 1, 2, reference)).toBeUndefined();
  });
});

describe('familiarity in the studio (real encoder)', () => {
  afterAll(() => cleanupTemp());

  it('the demo world’s images are familiar, noise is not; only the detail view carries it', async () => {
    const home = tempDir('dprdm-familiar-home-');
    const familiar = tempDir('dprdm-familiar-');
    for (const name of readdirSync(DEMO_FOLDER).slice(0, 24)) copyFileSync(join(DEMO_FOLDER, name), join(familiar, name));
    const noise = join(tempDir('dprdm-noise-'), 'scans');
    mkdirSync(noise);
    for (let i = 0; i < 24; i++) {
      const raw = Buffer.alloc(48 * 48 * 3, 0).map((_, p) => (p * 7919 + i * 104729) % 251);
      await sharp(raw, { raw: { width: 48, height: 48, channels: 3 } }).blur(i % 2 ? 2 : 0.3).png().toFile(join(noise, `scan-${i}.png`));
    }
    const service = await createStudioService({ home });
    const call = localApi(() => service);
    try {
      const a = await call('datasets.add', { folder: familiar, epsilonCap: 1 });
      const b = await call('datasets.add', { folder: noise, epsilonCap: 1 });
      const showA = await call('datasets.show', { datasetId: a.id });
      const showB = await call('datasets.show', { datasetId: b.id });
      expect(showA.familiarity).toMatchObject({ unfamiliar: false });
      expect(showA.familiarity!.median).toBeGreaterThan(0.95);
      expect(showB.familiarity).toMatchObject({ unfamiliar: true });
      expect(showB.familiarity!.median).toBeLessThan(showB.familiarity!.warnBelow);
      // the summary lists and the ledger export never carry it
      expect(JSON.stringify(await call('datasets.list', {}))).not.toMatch(/familiar/i);
      expect(JSON.stringify(await call('ledger.show', { datasetId: b.id }))).not.toMatch(/familiar/i);
    } finally {
      await service.close();
    }
  }, 120_000);
});
