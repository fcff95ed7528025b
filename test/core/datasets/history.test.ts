// Membership history is permanent: an image that was ever in a dataset carries that dataset's spend from then on.
// Removing, moving, splitting, merging and re-adding images never lowers the spend that covers any image — checked
// through the datasets service (folders on disk, sync and add as the studio runs them) after each operation.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDataset, syncDataset } from '../../../core/datasets/index.ts';
import { DatasetHistoryError, type Ledger } from '../../../core/ledger/index.ts';
import { colourImage } from './corpus.ts';
import { ProjectionEmbedder, tempDir, tempHome, type TempHome } from './helpers.ts';

const QUERY = { q: 0.2, sigma: 3, k: 2 };

/** The spend (RDP at the filter's order) that covers each image now: its current dataset's. */
function covering(ledger: Ledger): Map<string, number> {
  const out = new Map<string, number>();
  for (const d of ledger.listDatasets()) for (const hash of ledger.members(d.id)) out.set(hash, d.spentRdp);
  return out;
}

/** Every image covered before is still covered by at least as much. */
function expectNeverLower(before: Map<string, number>, after: Map<string, number>, moved: readonly string[] = []): void {
  for (const [hash, spent] of before) {
    const now = after.get(hash);
    if (now === undefined) {
      expect(moved, `image ${hash.slice(0, 8)} left every dataset`).not.toContain(hash);
      continue;
    }
    expect(now, `image ${hash.slice(0, 8)}`).toBeGreaterThanOrEqual(spent);
  }
}

describe('the budget follows every image it ever covered', () => {
  let env: TempHome;
  const embedder = new ProjectionEmbedder();
  const folders: Record<string, string> = {};
  let ids: Record<string, string> = {};
  const write = async (folder: string, name: string, i: number) => writeFileSync(join(folder, name), await (await colourImage((i * 37) % 255, (i * 91) % 255, (i * 53) % 255, 32, i)).png().toBuffer());
  const add = async (key: string, cap = 3) => (ids[key] = (await addDataset({ folder: folders[key]!, embedder, ledger: env.ledger, home: env.home, name: key, epsilonCap: cap, k: 2 })).datasetId);
  const sync = (key: string) => syncDataset(ids[key]!, { embedder, ledger: env.ledger, home: env.home });

  beforeAll(async () => {
    env = tempHome();
    for (const key of ['A', 'B', 'C', 'D', 'E']) {
      folders[key] = tempDir(`dprdm-history-${key}-`);
      mkdirSync(folders[key]!, { recursive: true });
    }
    for (let i = 0; i < 8; i++) await write(folders.A!, `a${i}.png`, i);
    await add('A');
    for (let i = 0; i < 6; i++) env.ledger.charge(ids.A!, QUERY);
  });
  afterAll(() => {
    env.cleanup();
    for (const f of Object.values(folders)) rmSync(f, { recursive: true, force: true });
    ids = {};
  });

  it('removing an image from a folder keeps its spend in the history, and moving it to a new folder brings it along', async () => {
    const before = covering(env.ledger);
    const spentA = env.ledger.getDataset(ids.A!).spentRdp;
    renameSync(join(folders.A!, 'a0.png'), join(folders.B!, 'a0.png')); // the image from the issue: moved from A to B
    await sync('A');
    expect(env.ledger.getDataset(ids.A!).spentRdp).toBe(spentA);
    await write(folders.B!, 'b-new.png', 100);
    await add('B');
    const b = env.ledger.getDataset(ids.B!);
    expect(b.spentRdp).toBeGreaterThanOrEqual(spentA); // not ε 0 of 3: the moved image's spend came along
    expect(b.cumulativeEpsilon).toBeGreaterThan(0);
    expect(b.filter.order).toBe(env.ledger.getDataset(ids.A!).filter.order);
    expect(env.ledger.charges(ids.B!)[0]).toMatchObject({ kind: 'inherit' });
    expectNeverLower(before, covering(env.ledger));
    expect(env.ledger.verify(ids.B!).ok).toBe(true);
  });

  it('splitting a folder: the part that leaves starts from the whole folder’s spend', async () => {
    env.ledger.charge(ids.A!, QUERY);
    const before = covering(env.ledger);
    for (const name of ['a1.png', 'a2.png', 'a3.png']) renameSync(join(folders.A!, name), join(folders.C!, name));
    await sync('A');
    await add('C');
    expect(env.ledger.getDataset(ids.C!).spentRdp).toBeGreaterThanOrEqual(env.ledger.getDataset(ids.A!).spentRdp);
    expectNeverLower(before, covering(env.ledger));
  });

  it('merging two folders into one: it starts from the larger spend of the two', async () => {
    for (let i = 0; i < 3; i++) env.ledger.charge(ids.C!, QUERY);
    const before = covering(env.ledger);
    const larger = Math.max(env.ledger.getDataset(ids.A!).spentRdp, env.ledger.getDataset(ids.C!).spentRdp);
    // C's images join A; C keeps one new image of its own
    await write(folders.C!, 'c-stay.png', 200);
    for (const name of ['a1.png', 'a2.png', 'a3.png']) renameSync(join(folders.C!, name), join(folders.A!, name));
    await sync('C');
    await sync('A');
    expect(env.ledger.getDataset(ids.A!).spentRdp).toBeGreaterThanOrEqual(larger);
    expectNeverLower(before, covering(env.ledger));
    expect(env.ledger.verify(ids.A!).ok).toBe(true);
  });

  it('re-adding images that were removed (in a new folder) starts from the spend they carried, even after their dataset moved on', async () => {
    renameSync(join(folders.A!, 'a7.png'), join(folders.D!, 'a7.png'));
    await sync('A');
    for (let i = 0; i < 2; i++) env.ledger.charge(ids.A!, QUERY);
    const before = covering(env.ledger);
    await add('D');
    expect(env.ledger.getDataset(ids.D!).spentRdp).toBeGreaterThanOrEqual(env.ledger.getDataset(ids.A!).spentRdp);
    expectNeverLower(before, covering(env.ledger));
  });

  it('refuses a dataset whose cap is lower than the one its images were promised, saying what would work', async () => {
    await write(folders.E!, 'e.png', 300);
    await write(folders.D!, 'd-stay.png', 301);
    renameSync(join(folders.D!, 'a7.png'), join(folders.E!, 'a7.png'));
    await sync('D');
    const error = await addDataset({ folder: folders.E!, embedder, ledger: env.ledger, home: env.home, name: 'E', epsilonCap: 1, k: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetHistoryError);
    expect((error as DatasetHistoryError).reason).toBe('cap');
    expect((error as Error).message).toMatch(/cap of at least ε \d/);
    expect(env.ledger.listDatasets().some((d) => d.name === 'E')).toBe(false); // nothing was written
  });
});
