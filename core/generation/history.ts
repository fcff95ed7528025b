/**
 * Generation history (`<home>/history.sqlite`): prompt, parameters, seeds, ledger receipt, output files and the
 * decoder condition of every generation, so any image can be found, exported and re-rendered exactly, also after a
 * restart. The condition is computed from the mechanism's DP release r̃ and the prompt: post-processing, so keeping
 * it on this machine costs no privacy (it is never exported). Nothing else computed from the private images is kept.
 */
import { randomBytes } from 'node:crypto';
import type { Sampler } from '../contract/contract.ts';
import type { PrivacyFacts } from '../export/provenance.ts';
import { openSqlite, type SqliteDatabase } from '../native/sqlite.ts';

export type { PrivacyFacts };

export interface StoredGeneration {
  readonly generationId: string;
  readonly datasetId: string | null;
  readonly prompt: string;
  readonly createdAt: string;
  readonly publicOnly: boolean;
  readonly sigma: number | null;
  readonly k: number;
  readonly q: number | null;
  readonly lambda: number;
  /** ε charged by this generation's own query (0 for public-only and for free re-renders). */
  readonly epsilonCharged: number;
  /** The ledger facts of the query whose noisy condition these images come from (null: public-only). */
  readonly privacy: PrivacyFacts | null;
  /** The generation whose held condition this one re-rendered, if any. */
  readonly rerenderOf: string | null;
  readonly cancelled: boolean;
}

export interface StoredImage {
  readonly imageId: string;
  readonly generationId: string;
  readonly index: number;
  readonly seed: number;
  readonly guidance: number;
  readonly steps: number;
  /** The sampler its pixels came from (images recorded before there was a choice: DDIM). */
  readonly sampler: Sampler;
  /** File name inside `<home>/generations/<generationId>/`. */
  readonly file: string;
}

/** Known fields only: rows written by earlier versions also held a membership fingerprint, which is never read back. */
function privacyFacts(json: string): PrivacyFacts {
  const p = JSON.parse(json) as PrivacyFacts;
  return { receiptId: p.receiptId, epsilonCost: p.epsilonCost ?? (p as { epsilonThisQuery?: number }).epsilonThisQuery ?? 0, cumulativeEpsilon: p.cumulativeEpsilon, epsilonCap: p.epsilonCap, delta: p.delta, ...(p.order !== undefined ? { order: p.order } : {}) };
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS generations (
  id TEXT PRIMARY KEY,
  dataset_id TEXT,
  prompt TEXT NOT NULL,
  created_at TEXT NOT NULL,
  public_only INTEGER NOT NULL,
  sigma REAL,
  k INTEGER NOT NULL,
  q REAL,
  lambda REAL NOT NULL,
  epsilon_charged REAL NOT NULL,
  privacy TEXT,
  rerender_of TEXT,
  cancelled INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS generations_by_dataset ON generations (dataset_id, created_at);
CREATE TABLE IF NOT EXISTS conditions (
  generation_id TEXT PRIMARY KEY REFERENCES generations (id) ON DELETE CASCADE,
  cond BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS images (
  id TEXT PRIMARY KEY,
  generation_id TEXT NOT NULL REFERENCES generations (id) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  seed INTEGER NOT NULL,
  guidance REAL NOT NULL,
  steps INTEGER NOT NULL,
  file TEXT NOT NULL,
  sampler TEXT NOT NULL DEFAULT 'ddim',
  UNIQUE (generation_id, idx)
);
`;

interface GenerationRow {
  id: string;
  dataset_id: string | null;
  prompt: string;
  created_at: string;
  public_only: number;
  sigma: number | null;
  k: number;
  q: number | null;
  lambda: number;
  epsilon_charged: number;
  privacy: string | null;
  rerender_of: string | null;
  cancelled: number;
}

interface ImageRow {
  id: string;
  generation_id: string;
  idx: number;
  seed: number;
  guidance: number;
  steps: number;
  file: string;
  sampler: string;
}

export function newId(prefix: 'gen' | 'img'): string {
  return `${prefix}_${randomBytes(10).toString('hex')}`;
}

function toGeneration(r: GenerationRow): StoredGeneration {
  return {
    generationId: r.id,
    datasetId: r.dataset_id,
    prompt: r.prompt,
    createdAt: r.created_at,
    publicOnly: r.public_only === 1,
    sigma: r.sigma,
    k: r.k,
    q: r.q,
    lambda: r.lambda,
    epsilonCharged: r.epsilon_charged,
    privacy: r.privacy === null ? null : privacyFacts(r.privacy),
    rerenderOf: r.rerender_of,
    cancelled: r.cancelled === 1,
  };
}

function toImage(r: ImageRow): StoredImage {
  return { imageId: r.id, generationId: r.generation_id, index: r.idx, seed: r.seed, guidance: r.guidance, steps: r.steps, sampler: r.sampler === 'dpmpp-2m' ? 'dpmpp-2m' : 'ddim', file: r.file };
}

export class HistoryStore {
  private readonly db: SqliteDatabase;

  constructor(path: string) {
    this.db = openSqlite(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('foreign_keys = ON');
    this.db.exec(SCHEMA);
    // Histories written before the sampler was a choice: their images are DDIM's.
    const columns = this.db.prepare('SELECT name FROM pragma_table_info(?)').all('images') as { name: string }[];
    if (!columns.some((c) => c.name === 'sampler')) this.db.exec("ALTER TABLE images ADD COLUMN sampler TEXT NOT NULL DEFAULT 'ddim'");
  }

  addGeneration(g: StoredGeneration): void {
    this.db
      .prepare(
        `INSERT INTO generations (id, dataset_id, prompt, created_at, public_only, sigma, k, q, lambda, epsilon_charged, privacy, rerender_of, cancelled)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(g.generationId, g.datasetId, g.prompt, g.createdAt, g.publicOnly ? 1 : 0, g.sigma, g.k, g.q, g.lambda, g.epsilonCharged, g.privacy ? JSON.stringify(g.privacy) : null, g.rerenderOf, g.cancelled ? 1 : 0);
  }

  /** The decoder condition a generation's images were drawn from (little-endian float32). */
  saveCondition(generationId: string, cond: Float32Array): void {
    const bytes = Buffer.alloc(cond.length * 4);
    cond.forEach((v, i) => bytes.writeFloatLE(v, i * 4));
    this.db.prepare('INSERT OR REPLACE INTO conditions (generation_id, cond) VALUES (?, ?)').run(generationId, bytes);
  }

  condition(generationId: string): Float32Array | undefined {
    const row = this.db.prepare('SELECT cond FROM conditions WHERE generation_id = ?').get(generationId) as { cond: Buffer } | undefined;
    if (!row) return undefined;
    const out = new Float32Array(row.cond.length / 4);
    for (let i = 0; i < out.length; i++) out[i] = row.cond.readFloatLE(i * 4);
    return out;
  }

  addImage(image: StoredImage): void {
    this.db.prepare('INSERT INTO images (id, generation_id, idx, seed, guidance, steps, file, sampler) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(image.imageId, image.generationId, image.index, image.seed, image.guidance, image.steps, image.file, image.sampler);
  }

  markCancelled(generationId: string): void {
    this.db.prepare('UPDATE generations SET cancelled = 1 WHERE id = ?').run(generationId);
  }

  generation(generationId: string): StoredGeneration | undefined {
    const row = this.db.prepare('SELECT * FROM generations WHERE id = ?').get(generationId) as GenerationRow | undefined;
    return row && toGeneration(row);
  }

  /** Newest first; all datasets (and public-only generations) when datasetId is undefined. */
  generations(datasetId?: string, limit = 500): StoredGeneration[] {
    const rows = (
      datasetId === undefined
        ? this.db.prepare('SELECT * FROM generations ORDER BY created_at DESC, rowid DESC LIMIT ?').all(limit)
        : this.db.prepare('SELECT * FROM generations WHERE dataset_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?').all(datasetId, limit)
    ) as GenerationRow[];
    return rows.map(toGeneration);
  }

  images(generationId: string): StoredImage[] {
    return (this.db.prepare('SELECT * FROM images WHERE generation_id = ? ORDER BY idx').all(generationId) as ImageRow[]).map(toImage);
  }

  image(imageId: string): StoredImage | undefined {
    const row = this.db.prepare('SELECT * FROM images WHERE id = ?').get(imageId) as ImageRow | undefined;
    return row && toImage(row);
  }

  close(): void {
    this.db.close();
  }
}
