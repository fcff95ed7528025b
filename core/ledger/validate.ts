/** Input validation for every public ledger function. Each check is written so that NaN and ±∞ fail it. */
import { LedgerInputError } from './errors.ts';
import { DEFAULT_PLANNED_GENERATIONS, deltaForSizeClass, isSizeClass, sizeClassOf, type SizeClass } from './size-class.ts';
import type { ChargeKind, CreateDatasetRequest } from './types.ts';

export const DATASET_ID_PATTERN = /^ds_[0-9a-f]{16}$/;
export const RECEIPT_ID_PATTERN = /^rc_[0-9a-f]{24}$/;
export const CONTENT_HASH_PATTERN = /^[0-9a-f]{64}$/;
/** ε above this carries no meaningful guarantee; a curator tool refuses to promise it. */
export const MAX_EPSILON_CAP = 100;
export const MAX_SIGMA = 1e6;
export const MAX_K = 1_000_000;
export const MAX_PURPOSE_LENGTH = 4000;
export const MAX_NAME_LENGTH = 200;
export const MAX_MEMBERS = 50_000_000;

export type { ChargeKind };
export const CHARGE_KINDS: readonly ChargeKind[] = ['release', 'audit'];

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

export function requireDatasetId(value: unknown): string {
  if (typeof value !== 'string' || !DATASET_ID_PATTERN.test(value)) {
    throw new LedgerInputError('datasetId', `must look like "ds_" followed by 16 hex digits, got ${describe(value)}`);
  }
  return value;
}

export function requireName(value: unknown): string {
  if (typeof value !== 'string') throw new LedgerInputError('name', `must be a string, got ${describe(value)}`);
  const name = value.trim();
  if (name.length === 0 || name.length > MAX_NAME_LENGTH || CONTROL.test(name) || name.includes('\n') || name.includes('\r')) {
    throw new LedgerInputError('name', `must be 1–${MAX_NAME_LENGTH} printable characters on one line`);
  }
  return name;
}

export function requireEpsilonCap(value: unknown): number {
  if (typeof value !== 'number' || !(value > 0 && value <= MAX_EPSILON_CAP)) {
    throw new LedgerInputError('epsilonCap', `must be a number in (0, ${MAX_EPSILON_CAP}], got ${describe(value)}`);
  }
  return value;
}

/** δ in (0, limit], where limit is the size class's δ (./size-class.ts). */
export function requireDelta(value: unknown, limit: number): number {
  if (typeof value !== 'number' || !(value > 0 && value <= limit)) {
    throw new LedgerInputError(
      'delta',
      `must be > 0 and at most ${limit}, the δ of the dataset's size class (δ is the chance that the guarantee fails outright; ` +
        `it must be far below 1/N), got ${describe(value)}`,
    );
  }
  return value;
}

/** Validates, lower-cases nothing (hashes must already be lower-case hex), refuses duplicates; returns the sorted list. */
export function requireMemberHashes(value: unknown): string[] {
  if (!Array.isArray(value)) throw new LedgerInputError('memberHashes', `must be an array of sha256 hex strings, got ${describe(value)}`);
  if (value.length === 0) throw new LedgerInputError('memberHashes', 'a dataset needs at least one image');
  if (value.length > MAX_MEMBERS) throw new LedgerInputError('memberHashes', `at most ${MAX_MEMBERS} images per dataset`);
  for (let i = 0; i < value.length; i++) {
    const hash: unknown = value[i];
    if (typeof hash !== 'string' || !CONTENT_HASH_PATTERN.test(hash)) {
      throw new LedgerInputError('memberHashes', `entry ${i} is not a lower-case sha256 hex digest (64 characters 0-9a-f)`);
    }
  }
  const sorted = [...(value as string[])].sort();
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i] === sorted[i - 1]) {
      throw new LedgerInputError('memberHashes', `image ${sorted[i]} is listed twice; one image is one privacy unit — deduplicate identical files first`);
    }
  }
  return sorted;
}

export interface ValidQuery {
  readonly q: number;
  readonly sigma: number;
  readonly k: number;
  readonly lambda: number;
  readonly purpose: string;
  readonly kind: ChargeKind;
}

export function requireQuery(value: unknown): ValidQuery {
  if (typeof value !== 'object' || value === null) throw new LedgerInputError('query', `must be an object {q, sigma, k, lambda?, purpose?, kind?}, got ${describe(value)}`);
  const query = value as Record<string, unknown>;
  const { q, sigma, k } = query;
  if (typeof q !== 'number' || !(q > 0 && q <= 1)) throw new LedgerInputError('q', `must be a sampling rate in (0, 1], got ${describe(q)}`);
  if (typeof sigma !== 'number' || !(sigma > 0 && sigma <= MAX_SIGMA)) throw new LedgerInputError('sigma', `must be a number in (0, ${MAX_SIGMA}], got ${describe(sigma)}`);
  if (typeof k !== 'number' || !Number.isSafeInteger(k) || !(k >= 1 && k <= MAX_K)) throw new LedgerInputError('k', `must be an integer in [1, ${MAX_K}], got ${describe(k)}`);
  const lambda = query.lambda === undefined ? 1 : query.lambda;
  if (typeof lambda !== 'number' || !(lambda >= 0 && lambda <= 1)) throw new LedgerInputError('lambda', `must be a number in [0, 1], got ${describe(lambda)}`);
  const purpose = query.purpose === undefined ? '' : query.purpose;
  if (typeof purpose !== 'string' || purpose.length > MAX_PURPOSE_LENGTH || purpose.includes('\u0000')) {
    throw new LedgerInputError('purpose', `must be a string of at most ${MAX_PURPOSE_LENGTH} characters without NUL`);
  }
  const kind = query.kind === undefined ? 'release' : query.kind;
  if (typeof kind !== 'string' || !(CHARGE_KINDS as readonly string[]).includes(kind)) {
    throw new LedgerInputError('kind', `must be "release" or "audit", got ${describe(kind)}`);
  }
  return { q, sigma, k, lambda: lambda === 0 ? 0 : lambda, purpose, kind: kind as ChargeKind };
}

export function requireNote(value: unknown): string {
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > MAX_PURPOSE_LENGTH) {
    throw new LedgerInputError('note', 'the curator must say why (a non-empty string)');
  }
  return value.trim();
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined || value === null) return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  return Array.isArray(value) ? 'an array' : typeof value;
}

/** A dataset creation request with its defaults filled in: the declared size class fixes δ (at most the class's). */
export function requireCreateDataset(request: CreateDatasetRequest): {
  name: string;
  members: string[];
  epsilonCap: number;
  sizeClass: SizeClass;
  k: number;
  generations: number;
  delta: number;
} {
  if (typeof request !== 'object' || request === null) throw new LedgerInputError('request', 'must be an object {name, memberHashes, epsilonCap, sizeClass?, k?, plannedGenerations?, delta?}');
  const name = requireName(request.name);
  const members = requireMemberHashes(request.memberHashes);
  const epsilonCap = requireEpsilonCap(request.epsilonCap);
  const sizeClass = request.sizeClass ?? sizeClassOf(members.length);
  if (typeof sizeClass !== 'object' || sizeClass === null || !isSizeClass(sizeClass)) {
    throw new LedgerInputError('sizeClass', 'must be one of the size classes (1–2–5 series: {lower: 1000, upper: 2000}, {lower: 2000, upper: 5000}, …)');
  }
  const k = request.k ?? 8;
  if (!(Number.isSafeInteger(k) && k >= 1 && k <= 100_000)) throw new LedgerInputError('k', `must be an integer in [1, 100000], got ${String(k)}`);
  const generations = request.plannedGenerations ?? DEFAULT_PLANNED_GENERATIONS;
  if (!(Number.isSafeInteger(generations) && generations >= 1 && generations <= 1_000_000)) {
    throw new LedgerInputError('plannedGenerations', `must be an integer in [1, 1000000], got ${String(generations)}`);
  }
  const delta = request.delta === undefined ? deltaForSizeClass(sizeClass) : requireDelta(request.delta, deltaForSizeClass(sizeClass));
  return { name, members, epsilonCap, sizeClass, k, generations, delta };
}
