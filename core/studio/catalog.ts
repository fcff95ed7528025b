/**
 * The studio's dataset catalog: every indexed dataset of the home, each read once and read again only when its
 * index files change (size and modification time of index.sqlite and its WAL), so that a listing or a generation
 * does not rescan every index; a sync by another process (the CLI) shows at the next look. Add, sync and remove
 * also invalidate their dataset explicitly.
 *
 * It holds the one guard every private query passes before its charge (`requireAccounted`).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DATASET_ID, datasetsRoot, readIndexedDataset, type IndexedDataset } from '../datasets/index.ts';
import type { DatasetInfo, Ledger } from '../ledger/index.ts';
import { StudioError } from '../contract/contract.ts';

/** What changes when SQLite writes an index: the main file's and the WAL's size and mtime (undefined: no index). */
function stampOf(dir: string): string | undefined {
  const parts: string[] = [];
  for (const name of ['index.sqlite', 'index.sqlite-wal']) {
    try {
      const s = statSync(join(dir, name));
      parts.push(`${s.size}:${s.mtimeMs}`);
    } catch {
      if (name === 'index.sqlite') return undefined;
      parts.push('-');
    }
  }
  return parts.join('|');
}

export class DatasetCatalog {
  private readonly entries = new Map<string, { readonly stamp: string; readonly dataset: IndexedDataset }>();
  private readonly root: string;

  constructor(
    private readonly home: string,
    private readonly ledger: Ledger,
  ) {
    this.root = datasetsRoot({ home });
  }

  /** Every indexed dataset, in id order. */
  all(): IndexedDataset[] {
    if (!existsSync(this.root)) {
      this.entries.clear();
      return [];
    }
    const out: IndexedDataset[] = [];
    const seen = new Set<string>();
    for (const id of readdirSync(this.root).sort()) {
      if (!DATASET_ID.test(id)) continue;
      const dataset = this.read(id);
      if (!dataset) continue;
      seen.add(id);
      out.push(dataset);
    }
    for (const id of [...this.entries.keys()]) if (!seen.has(id)) this.entries.delete(id);
    return out;
  }

  find(datasetId: string): IndexedDataset | undefined {
    return DATASET_ID.test(datasetId) ? this.read(datasetId) : undefined;
  }

  require(datasetId: string): IndexedDataset {
    const found = this.find(datasetId);
    if (!found) throw new StudioError('NOT_FOUND', `no dataset ${datasetId}; see the dataset list`);
    return found;
  }

  /** The private folders of the home (never to be written into). */
  folders(): string[] {
    return this.all().map((d) => d.folder);
  }

  /** A dataset id from an id or a (case-insensitive, unique) name. */
  resolveRef(ref: string): string {
    const all = this.all();
    if (all.some((d) => d.datasetId === ref)) return ref;
    const byName = all.filter((d) => d.name.toLowerCase() === ref.toLowerCase());
    if (byName.length === 1) return byName[0]!.datasetId;
    if (byName.length > 1) throw new StudioError('INVALID_REQUEST', `several datasets are named "${ref}"; use the id`);
    throw new StudioError('NOT_FOUND', `no dataset "${ref}"; see the dataset list`);
  }

  invalidate(datasetId: string): void {
    this.entries.delete(datasetId);
  }

  /**
   * Before any private query's charge: the dataset is still indexed, has images, and its index holds exactly the
   * members the ledger accounts for (compared by the fingerprint over content hashes; no embedding is read). The
   * ledger outlives a removed or emptied index, and charging only to fail loading it would spend budget for
   * nothing. Returns the ledger's view, read once. (The private store checks the same agreement again when it is
   * opened after the charge: docs/design.md §5.)
   */
  requireAccounted(datasetId: string): DatasetInfo {
    const current = this.require(datasetId);
    if (current.members === 0) {
      throw new StudioError('INVALID_REQUEST', 'this dataset has no images left in its folder; add images and sync it, or generate public-only (nothing was charged)');
    }
    const info = this.ledger.getDataset(datasetId);
    if (current.fingerprint !== info.fingerprint) {
      throw new StudioError('INVALID_REQUEST', `the index of ${datasetId} and its privacy ledger disagree on which images it holds; sync the dataset first (nothing was charged)`);
    }
    return info;
  }

  private read(id: string): IndexedDataset | undefined {
    const dir = join(this.root, id);
    const stamp = stampOf(dir); // before reading: a write during the read changes it, and the next look reads again
    if (stamp === undefined) {
      this.entries.delete(id);
      return undefined;
    }
    const cached = this.entries.get(id);
    if (cached && cached.stamp === stamp) return cached.dataset;
    const dataset = readIndexedDataset(id, { home: this.home });
    this.entries.set(id, { stamp, dataset });
    return dataset;
  }
}
