/**
 * The indexing pipeline for one folder dataset: scan → diff against the index (size + mtime + inode) →
 * forget deleted files at once → read/hash/decode the new and changed files concurrently (sharp decodes on
 * libuv's pool) → embed in batches (the model runs off the main thread) → persist each batch. A cancelled or
 * crashed run loses at most the batch in flight; the next run skips everything already recorded.
 */
import { availableParallelism } from 'node:os';
import { DatasetCancelledError } from './errors.ts';
import type { ImageEmbedder } from './embedder.ts';
import { DEFAULT_LIMITS, decodeImage, readOnce, type DecodeLimits, type IngestHooks, type ReadStats } from './ingest.ts';
import { scanFolder, type ScannedFile } from './scan.ts';
import type { FileRow, IndexStore } from './store.ts';

export interface IndexProgress {
  readonly phase: 'scan' | 'index' | 'finalize';
  /** Files handled in this run (read, skipped as unchanged, or quarantined). */
  readonly filesDone: number;
  readonly filesTotal: number;
  /** Files per second over the files that needed work. */
  readonly ratePerSecond: number;
  /** Seconds left at the current rate (undefined until there is a rate). */
  readonly etaSeconds: number | undefined;
  readonly elapsedMs: number;
}

export interface IndexRunOptions {
  readonly embedder: ImageEmbedder;
  readonly limits?: Partial<DecodeLimits>;
  /** Files read and decoded at once (default: available cores + 2, at least 4). */
  readonly concurrency?: number;
  /** Images per encoder call (default 64). */
  readonly batchSize?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: IndexProgress) => void;
  /** Minimum time between two progress events (default 100 ms); the last one is always sent. */
  readonly progressIntervalMs?: number;
  readonly hooks?: IngestHooks;
  /** Absolute folders to skip inside the root (the studio's own home). */
  readonly excludedPaths?: readonly string[];
}

/** Exact counts of the work a run did (the incremental-sync tests assert these). */
export interface IndexCounts {
  /** Candidate image files found by the scan (plus entries that could never be images, e.g. links out). */
  readonly seen: number;
  /** Skipped: size, mtime and inode as recorded. */
  readonly unchanged: number;
  /** Files read and hashed in this run. */
  readonly read: number;
  /** Images that went through the encoder (one per new content hash). */
  readonly embedded: number;
  /** Files whose content already had an embedding (moved, copied, touched, duplicates). */
  readonly reused: number;
  /** Files newly quarantined in this run (including scan issues such as links out of the folder). */
  readonly quarantined: number;
  /** Files that left the index because they are gone. */
  readonly removed: number;
  /** Orphan embeddings dropped by compaction (deleted or edited images). */
  readonly droppedEmbeddings: number;
}

export interface StageTimings {
  readonly scanMs: number;
  /** Summed over concurrent workers. */
  readonly readMs: number;
  readonly hashMs: number;
  readonly decodeMs: number;
  readonly embedMs: number;
  readonly storeMs: number;
  readonly totalMs: number;
}

export interface IndexRunReport {
  readonly counts: IndexCounts;
  readonly timings: StageTimings;
  readonly ignoredFiles: number;
  readonly excludedFolders: number;
  /** True when the stored embeddings changed (the browse index needs a rebuild). */
  readonly embeddingsChanged: boolean;
}

interface PendingImage {
  readonly sha256: string;
  readonly tensor: Float32Array;
  readonly files: FileRow[];
}

function indexedRow(path: string, stats: ReadStats, sha256: string, format: string | null, width: number | null, height: number | null): FileRow {
  return { path, size: stats.size, mtimeNs: stats.mtimeNs, ino: stats.ino, sha256, status: 'indexed', reason: null, transient: false, format, width, height };
}

function quarantineRow(path: string, reason: string, transient: boolean, stats?: ReadStats, format: string | null = null): FileRow {
  return {
    path,
    size: stats?.size ?? null,
    mtimeNs: stats?.mtimeNs ?? null,
    ino: stats?.ino ?? null,
    sha256: null,
    status: 'quarantined',
    reason,
    transient,
    format,
    width: null,
    height: null,
  };
}

function unchanged(row: FileRow | undefined, file: ScannedFile): boolean {
  return row !== undefined && !row.transient && row.size === file.size && row.mtimeNs === file.mtimeNs && row.ino === file.ino;
}

export async function indexFolder(store: IndexStore, root: string, options: IndexRunOptions): Promise<IndexRunReport> {
  const started = performance.now();
  const limits: DecodeLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const embedder = options.embedder;
  if (embedder.dim !== store.dim) throw new RangeError(`the model embeds into ${embedder.dim} dimensions but the index stores ${store.dim}`);
  const batchSize = options.batchSize ?? 64;
  const concurrency = options.concurrency ?? Math.max(4, availableParallelism() + 2);
  const interval = options.progressIntervalMs ?? 100;
  const signal = options.signal;

  // ── scan and diff ──
  const scan = await scanFolder(root, { excludedPaths: options.excludedPaths, signal });
  if (signal?.aborted) throw new DatasetCancelledError(0);
  const existing = store.allFiles();
  const seenPaths = new Set<string>();
  const toRead: ScannedFile[] = [];
  let unchangedCount = 0;
  for (const file of scan.files) {
    seenPaths.add(file.path);
    if (unchanged(existing.get(file.path), file)) unchangedCount++;
    else toRead.push(file);
  }
  const issueRows: FileRow[] = [];
  let quarantinedCount = 0;
  for (const issue of scan.issues) {
    seenPaths.add(issue.path);
    const before = existing.get(issue.path);
    if (before?.status === 'quarantined' && before.reason === issue.reason) {
      unchangedCount++;
      continue;
    }
    issueRows.push(quarantineRow(issue.path, issue.reason, issue.transient));
    quarantinedCount++;
  }
  const deleted = [...existing.keys()].filter((path) => !seenPaths.has(path));
  const scanMs = performance.now() - started;
  let storeMs = 0;
  let t = performance.now();
  store.writeFiles(issueRows, deleted); // deleted files leave the index now, before any new work
  storeMs += performance.now() - t;

  // ── read, hash, decode, embed ──
  const total = scan.files.length + scan.issues.length;
  let done = unchangedCount + issueRows.length;
  let workDone = 0;
  const workStarted = performance.now();
  let lastEvent = 0;
  const emit = (phase: IndexProgress['phase'], force = false): void => {
    if (!options.onProgress) return;
    const now = performance.now();
    if (!force && now - lastEvent < interval) return;
    lastEvent = now;
    const seconds = (now - workStarted) / 1000;
    const rate = seconds > 0 ? workDone / seconds : 0;
    const left = total - done;
    options.onProgress({ phase, filesDone: done, filesTotal: total, ratePerSecond: rate, etaSeconds: rate > 0 ? left / rate : undefined, elapsedMs: now - started });
  };
  emit('scan', true);

  const known = store.embeddedHashes();
  const pending = new Map<string, PendingImage>();
  let batch: PendingImage[] = [];
  let loose: FileRow[] = []; // rows that need no embedding: quarantined, or content already embedded
  let readCount = 0;
  let embeddedCount = 0;
  let reusedCount = 0;
  let readMs = 0;
  let hashMs = 0;
  let decodeMs = 0;
  let embedMs = 0;
  let persisted = 0;
  let flushChain: Promise<void> = Promise.resolve();
  let unflushed = 0;
  let failure: unknown;

  const flushLoose = (): void => {
    if (loose.length === 0) return;
    const rows = loose;
    loose = [];
    const t0 = performance.now();
    store.writeFiles(rows);
    storeMs += performance.now() - t0;
    persisted += rows.length;
  };

  const flush = async (images: PendingImage[]): Promise<void> => {
    const t0 = performance.now();
    const vectors = await embedder.embed(images.map((image) => image.tensor));
    embedMs += performance.now() - t0;
    if (vectors.length !== images.length * store.dim) throw new RangeError(`the encoder returned ${vectors.length} values for ${images.length} images of dimension ${store.dim}`);
    const good: PendingImage[] = [];
    const rows = new Float32Array(images.length * store.dim);
    const extra: FileRow[] = [];
    images.forEach((image, i) => {
      const row = vectors.subarray(i * store.dim, (i + 1) * store.dim);
      if (!normalizeInto(row, rows, good.length * store.dim)) {
        for (const file of image.files) {
          const stats: ReadStats = { size: file.size ?? 0, mtimeNs: file.mtimeNs ?? '', ino: file.ino ?? '' };
          extra.push(quarantineRow(file.path, 'the image encoder produced an invalid (zero or non-finite) embedding', false, stats, file.format));
        }
        return;
      }
      good.push(image);
    });
    const t1 = performance.now();
    const fileRows = [...good.flatMap((image) => image.files), ...extra, ...loose];
    loose = [];
    store.appendEmbeddings(
      good.map((image) => image.sha256),
      rows.subarray(0, good.length * store.dim),
      fileRows,
    );
    storeMs += performance.now() - t1;
    persisted += fileRows.length;
    embeddedCount += good.length;
    quarantinedCount += extra.length;
    for (const image of images) {
      pending.delete(image.sha256);
      if (good.includes(image)) known.add(image.sha256);
    }
  };

  const scheduleFlush = (): void => {
    if (batch.length === 0) return;
    const images = batch;
    batch = [];
    unflushed++;
    flushChain = flushChain
      .then(() => (failure === undefined ? flush(images) : undefined))
      .catch((error: unknown) => {
        failure ??= error;
      })
      .finally(() => {
        unflushed--;
      });
  };

  const handle = async (file: ScannedFile): Promise<void> => {
    let t0 = performance.now();
    const read = await readOnce(file, limits, options.hooks);
    readCount++;
    if (read.ok) {
      hashMs += read.hashMs;
      readMs += performance.now() - t0 - read.hashMs;
    } else {
      readMs += performance.now() - t0;
    }
    if (!read.ok) {
      loose.push(quarantineRow(file.path, read.reason, read.transient, read.stats));
      quarantinedCount++;
      return;
    }
    const attach = (): boolean => {
      const queued = pending.get(read.sha256);
      if (queued) {
        queued.files.push(indexedRow(file.path, read.stats, read.sha256, queued.files[0]!.format, queued.files[0]!.width, queued.files[0]!.height));
        reusedCount++;
        return true;
      }
      if (known.has(read.sha256)) {
        const previous = store.file(file.path);
        loose.push(indexedRow(file.path, read.stats, read.sha256, previous?.format ?? null, previous?.width ?? null, previous?.height ?? null));
        reusedCount++;
        return true;
      }
      return false;
    };
    if (attach()) return;
    t0 = performance.now();
    const decoded = await decodeImage(read.bytes, embedder.imageSpec, limits);
    decodeMs += performance.now() - t0;
    if (!decoded.ok) {
      loose.push(quarantineRow(file.path, decoded.reason, false, read.stats, decoded.format ?? null));
      quarantinedCount++;
      return;
    }
    if (attach()) return; // another worker queued the same content while this one decoded
    const image: PendingImage = {
      sha256: read.sha256,
      tensor: decoded.tensor,
      files: [indexedRow(file.path, read.stats, read.sha256, decoded.format, decoded.width, decoded.height)],
    };
    pending.set(read.sha256, image);
    batch.push(image);
    if (batch.length >= batchSize) scheduleFlush();
  };

  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < toRead.length && !signal?.aborted && failure === undefined) {
      const file = toRead[next++]!;
      await handle(file);
      done++;
      workDone++;
      if (loose.length >= 1024 && unflushed === 0) flushLoose();
      while (unflushed >= 2 && failure === undefined) await flushChain; // backpressure: at most two batches waiting
      emit('index');
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, toRead.length)) }, worker));
  if (!signal?.aborted) scheduleFlush();
  await flushChain;
  if (failure !== undefined) {
    flushLoose();
    throw failure;
  }
  flushLoose();
  if (signal?.aborted) throw new DatasetCancelledError(persisted);

  // ── finalize: drop orphan embeddings ──
  emit('finalize', true);
  t = performance.now();
  const droppedEmbeddings = store.compact();
  store.setMeta('last_sync_at', new Date().toISOString());
  storeMs += performance.now() - t;
  emit('finalize', true);
  return {
    counts: {
      seen: total,
      unchanged: unchangedCount,
      read: readCount,
      embedded: embeddedCount,
      reused: reusedCount,
      quarantined: quarantinedCount,
      removed: deleted.length,
      droppedEmbeddings,
    },
    timings: { scanMs, readMs, hashMs, decodeMs, embedMs, storeMs, totalMs: performance.now() - started },
    ignoredFiles: scan.ignoredFiles,
    excludedFolders: scan.excludedFolders,
    embeddingsChanged: embeddedCount > 0 || droppedEmbeddings > 0,
  };
}

/** Normalises `row` in float64 into `out` at `offset`; false when it is zero or non-finite. */
export function normalizeInto(row: Float32Array, out: Float32Array, offset: number): boolean {
  let sum = 0;
  for (let j = 0; j < row.length; j++) {
    const v = row[j]!;
    if (!Number.isFinite(v)) return false;
    sum += v * v;
  }
  if (!(sum > 0) || !Number.isFinite(sum)) return false;
  const inv = 1 / Math.sqrt(sum);
  for (let j = 0; j < row.length; j++) out[offset + j] = row[j]! * inv;
  return true;
}
