/**
 * The private path's view of an index's embedding file (docs/design.md §3): member i is stored row `rows[i]`. A
 * query reads only the rows it scores — the Poisson subsample's, by range (one read per run of adjacent rows) into a
 * gather buffer in a SIMD arena — so a store of any size opens at once and holds only its row list in memory. A store
 * of at most `residentLimitBytes` is also read whole in the background; once it is in memory, queries score it in
 * place. Both paths give the same scores (the same kernel over the same values).
 *
 * Rows are not re-validated here: they were checked (finite, unit norm) when written, and a damaged row changes only
 * utility — the exact top-k ranks a non-finite score last and the clipped mean clips every row to norm ≤ 1 and skips
 * non-finite ones, so the sensitivity 2/k holds for any bytes (docs/design.md §3 step 4).
 */
import { closeSync, openSync, read } from 'node:fs';
import { allocateResidentStore, decodeFloat16, type EmbeddingRows, type ResidentStore, type StorePrecision } from '../privacy/index.ts';
import { BYTES_PER_VALUE, readFullyAt, type MemberRows } from './store.ts';

/** Rows gathered per kernel call (a 512-d float32 batch is 8 MiB). */
const GATHER_ROWS = 4096;
/** Bytes per background read. */
const LOAD_CHUNK = 16 * 2 ** 20;

export interface StoredRowsOptions {
  /** Read the whole file into memory in the background when it is at most this many bytes (0: never). */
  readonly residentLimitBytes: number;
}

export class StoredRows implements EmbeddingRows {
  readonly rows: number;
  readonly dim: number;
  readonly precision: StorePrecision;
  private readonly rowBytes: number;
  private readonly map: Uint32Array | undefined;
  private readonly gather: ResidentStore;
  private readonly identity: Uint32Array;
  private readonly one: Uint8Array;
  private readonly fd: number;
  private resident: ResidentStore | undefined;
  private loading: Promise<void> | undefined;
  private closed = false;

  private constructor(fd: number, dim: number, precision: StorePrecision, members: MemberRows, private readonly storedRows: number) {
    this.fd = fd;
    this.rows = members.rows.length;
    this.dim = dim;
    this.precision = precision;
    this.rowBytes = dim * BYTES_PER_VALUE[precision];
    this.map = members.identity ? undefined : members.rows;
    this.gather = allocateResidentStore(GATHER_ROWS, dim, precision);
    this.identity = Uint32Array.from({ length: GATHER_ROWS }, (_, i) => i);
    this.one = new Uint8Array(this.rowBytes);
  }

  /** Opens `path` (an index's embedding file of `storedRows` rows) for the members in `members`. */
  static open(path: string, dim: number, precision: StorePrecision, members: MemberRows, storedRows: number, options: StoredRowsOptions): StoredRows {
    const store = new StoredRows(openSync(path, 'r'), dim, precision, members, storedRows);
    if (storedRows * store.rowBytes <= options.residentLimitBytes) store.loading = store.loadWhole();
    return store;
  }

  /** Whether the whole store is in memory (else rows are read by range). */
  get isResident(): boolean {
    return this.resident !== undefined;
  }

  /** Settles when the background read is over (at once when there is none). */
  async ready(): Promise<void> {
    await this.loading;
  }

  scores(query: Float64Array, rows: ArrayLike<number>): Float32Array {
    const out = new Float32Array(rows.length);
    const stored = new Uint32Array(Math.min(rows.length, GATHER_ROWS));
    for (let start = 0; start < rows.length; start += GATHER_ROWS) {
      const n = Math.min(GATHER_ROWS, rows.length - start);
      for (let r = 0; r < n; r++) stored[r] = this.storedRow(rows[start + r]!);
      const batch = stored.subarray(0, n);
      out.set(this.resident ? this.resident.scores(query, batch) : this.gatherScores(query, batch), start);
    }
    return out;
  }

  readRow(row: number, out: Float64Array): void {
    const at = this.storedRow(row);
    if (this.resident) return this.resident.readRow(at, out);
    readFullyAt(this.fd, this.one, 0, this.rowBytes, at * this.rowBytes);
    out.set(this.precision === 'float16' ? decodeFloat16(new Uint16Array(this.one.buffer, 0, this.dim)) : new Float32Array(this.one.buffer, 0, this.dim));
  }

  /** Closes the file (after the background read, if one is running). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.resident = undefined;
    if (!this.loading) closeSync(this.fd);
  }

  private storedRow(row: number): number {
    if (!(Number.isInteger(row) && row >= 0 && row < this.rows)) throw new RangeError(`row ${row} is not in this store`);
    return this.map ? this.map[row]! : row;
  }

  /** Reads the listed stored rows into the gather buffer, one read per run of adjacent rows, and scores them there. */
  private gatherScores(query: Float64Array, stored: Uint32Array): ArrayLike<number> {
    const bytes = this.gather.bytes;
    let runStart = 0;
    for (let r = 1; r <= stored.length; r++) {
      if (r < stored.length && stored[r] === stored[r - 1]! + 1) continue;
      readFullyAt(this.fd, bytes, runStart * this.rowBytes, (r - runStart) * this.rowBytes, stored[runStart]! * this.rowBytes);
      runStart = r;
    }
    return this.gather.scores(query, this.identity.subarray(0, stored.length));
  }

  private async loadWhole(): Promise<void> {
    try {
      const whole = allocateResidentStore(this.storedRows, this.dim, this.precision);
      const bytes = whole.bytes;
      for (let position = 0; position < bytes.length && !this.closed; ) {
        const length = Math.min(LOAD_CHUNK, bytes.length - position);
        const n = await new Promise<number>((resolve, reject) => read(this.fd, bytes, position, length, position, (error, count) => (error ? reject(error) : resolve(count))));
        if (n === 0) return; // shorter than its rows (a damaged store): stay with reads by range, which report it
        position += n;
      }
      if (!this.closed) this.resident = whole;
    } catch {
      // no memory for the whole store, or a read failed: reads by range keep serving
    } finally {
      this.loading = undefined;
      if (this.closed) closeSync(this.fd);
    }
  }
}
