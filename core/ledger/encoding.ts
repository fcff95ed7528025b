/**
 * Exact, platform-independent storage of RDP vectors (little-endian float64) and the canonical serialisation
 * that every row hash covers. JSON renders a double with the shortest text that reads back to the same double,
 * so hashing `JSON.stringify` of the fields is exact and stable.
 */
import { createHash } from 'node:crypto';

export function sha256Hex(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

export function encodeVector(values: ArrayLike<number>): Buffer {
  const buffer = Buffer.alloc(values.length * 8);
  for (let i = 0; i < values.length; i++) buffer.writeDoubleLE(values[i]!, i * 8);
  return buffer;
}

/** Decodes a vector; undefined when the blob has the wrong length or holds NaN or a negative value. */
export function decodeVector(blob: unknown, length: number): Float64Array | undefined {
  if (!Buffer.isBuffer(blob) || blob.length !== length * 8) return undefined;
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    const value = blob.readDoubleLE(i * 8);
    if (!(value >= 0)) return undefined; // NaN and negatives; +∞ (a dropped order) is allowed
    out[i] = value;
  }
  return out;
}

/** The genesis "previous hash" of a dataset's chain. */
export function genesisHash(datasetId: string): string {
  return sha256Hex(datasetId);
}

export interface ChargeFields {
  readonly datasetId: string;
  readonly seq: number;
  readonly receiptId: string;
  readonly createdAt: string;
  readonly kind: string;
  readonly q: number;
  readonly sigma: number;
  readonly k: number;
  readonly lambda: number;
  readonly purpose: string;
  readonly rdp: Buffer;
  readonly cumulativeRdp: Buffer;
  readonly epsilonCost: number;
  readonly cumulativeEpsilon: number;
  readonly epsilonOrder: number;
  readonly prevHash: string;
}

export function chargeHash(fields: ChargeFields): string {
  return sha256Hex(
    JSON.stringify([
      'dprdm-ledger-charge-v1',
      fields.datasetId,
      fields.seq,
      fields.receiptId,
      fields.createdAt,
      fields.kind,
      fields.q,
      fields.sigma,
      fields.k,
      fields.lambda,
      fields.purpose,
      fields.rdp.toString('hex'),
      fields.cumulativeRdp.toString('hex'),
      fields.epsilonCost,
      fields.cumulativeEpsilon,
      fields.epsilonOrder,
      fields.prevHash,
    ]),
  );
}

export interface HeaderFieldsV1 {
  readonly id: string;
  readonly createdAt: string;
  readonly privacyUnit: string;
  readonly epsilonCap: number;
  readonly delta: number;
  readonly orders: string;
  readonly conversion: string;
  readonly mechanism: string;
}

export interface HeaderFields extends HeaderFieldsV1 {
  readonly sizeLower: number;
  readonly sizeUpper: number;
  readonly q: number;
  readonly k: number;
  readonly filterOrder: number;
  readonly plannedGenerations: number;
  readonly filterFromSeq: number;
}

/** Schema 1's header hash (only the migration reads it). */
export function headerHashV1(fields: HeaderFieldsV1): string {
  return sha256Hex(
    JSON.stringify(['dprdm-ledger-dataset-v1', fields.id, fields.createdAt, fields.privacyUnit, fields.epsilonCap, fields.delta, fields.orders, fields.conversion, fields.mechanism]),
  );
}

/** Covers every dataset field that fixes its guarantee (cap, δ, filter order, size class, q); an edit breaks verification. */
export function headerHash(fields: HeaderFields): string {
  return sha256Hex(
    JSON.stringify([
      'dprdm-ledger-dataset-v2',
      fields.id,
      fields.createdAt,
      fields.privacyUnit,
      fields.epsilonCap,
      fields.delta,
      fields.orders,
      fields.conversion,
      fields.mechanism,
      fields.sizeLower,
      fields.sizeUpper,
      fields.q,
      fields.k,
      fields.filterOrder,
      fields.plannedGenerations,
      fields.filterFromSeq,
    ]),
  );
}

/** sha256 over the sorted member hashes, one per line. */
export function membershipFingerprint(sortedHashes: Iterable<string>): string {
  const hash = createHash('sha256').update('dprdm-members-v1\n');
  // One update per 4,096 members (the same bytes as one per member, about twice as fast; a single joined text would
  // pass V8's longest string near 8 M members).
  let chunk: string[] = [];
  for (const member of sortedHashes) {
    chunk.push(member);
    if (chunk.length === 4096) {
      hash.update(`${chunk.join('\n')}\n`);
      chunk = [];
    }
  }
  if (chunk.length > 0) hash.update(`${chunk.join('\n')}\n`);
  return hash.digest('hex');
}
