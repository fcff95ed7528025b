/**
 * Bad input (issue 3, test 5): every public function rejects malformed ids, caps, δ, hashes and mechanism
 * parameters with a typed error (LedgerInputError, code LEDGER_INVALID_INPUT, exitCode 2), and writes nothing.
 */
import { existsSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DatasetNotFoundError,
  LedgerClosedError,
  LedgerInputError,
  LedgerLocationError,
  exportLedger,
  openLedger,
  type Ledger,
} from '../../../core/ledger/index.ts';
import { memberHashes, tempLedger } from './helpers.ts';

const temp = tempLedger('dprdm-badinput-');
let ledger: Ledger;
let datasetId: string;
const GOOD = { q: 0.01, sigma: 1, k: 8 };

beforeAll(() => {
  ledger = temp.open();
  datasetId = ledger.createDataset({ name: 'inputs', memberHashes: memberHashes(100, 'inputs'), epsilonCap: 1 }).id;
});
afterAll(() => temp.cleanup());

function expectInputError(fn: () => unknown, parameter?: string): void {
  let error: unknown;
  try {
    fn();
  } catch (caught) {
    error = caught;
  }
  expect(error, 'should have thrown').toBeInstanceOf(LedgerInputError);
  expect((error as LedgerInputError).code).toBe('LEDGER_INVALID_INPUT');
  expect((error as LedgerInputError).exitCode).toBe(2);
  if (parameter) expect((error as LedgerInputError).parameter).toBe(parameter);
}

const BAD_IDS: unknown[] = [undefined, null, 42, '', 'ds_', 'ds_123', 'DS_0123456789abcdef', 'ds_0123456789ABCDEF', 'ds_0123456789abcdeg', "ds_0'; DROP TABLE charges;--", 'ds_0123456789abcdef0', { id: 'x' }, ['ds_0123456789abcdef']];
const BAD_QUERIES: [string, unknown][] = [
  ['q', { ...GOOD, q: 0 }],
  ['q', { ...GOOD, q: -0.1 }],
  ['q', { ...GOOD, q: 1.0000001 }],
  ['q', { ...GOOD, q: NaN }],
  ['q', { ...GOOD, q: Infinity }],
  ['q', { ...GOOD, q: '0.1' }],
  ['q', { sigma: 1, k: 8 }],
  ['sigma', { ...GOOD, sigma: 0 }],
  ['sigma', { ...GOOD, sigma: -1 }],
  ['sigma', { ...GOOD, sigma: NaN }],
  ['sigma', { ...GOOD, sigma: Infinity }],
  ['sigma', { ...GOOD, sigma: 1e7 }],
  ['sigma', { ...GOOD, sigma: null }],
  ['k', { ...GOOD, k: 0 }],
  ['k', { ...GOOD, k: 1.5 }],
  ['k', { ...GOOD, k: -3 }],
  ['k', { ...GOOD, k: NaN }],
  ['k', { ...GOOD, k: 2e6 }],
  ['k', { ...GOOD, k: '8' }],
  ['lambda', { ...GOOD, lambda: -0.1 }],
  ['lambda', { ...GOOD, lambda: 1.1 }],
  ['lambda', { ...GOOD, lambda: NaN }],
  ['purpose', { ...GOOD, purpose: 7 }],
  ['purpose', { ...GOOD, purpose: 'x'.repeat(4001) }],
  ['purpose', { ...GOOD, purpose: 'a\u0000b' }],
  ['kind', { ...GOOD, kind: 'free' }],
  ['query', null],
  ['query', 'q=0.1'],
];

describe('bad input is refused with typed errors and writes nothing', () => {
  it.each(BAD_IDS.map((id) => [JSON.stringify(id) ?? String(id), id]))('dataset id %s', (_, id) => {
    const bad = id as string;
    expectInputError(() => ledger.charge(bad, GOOD), 'datasetId');
    expectInputError(() => ledger.preview(bad, GOOD), 'datasetId');
    expectInputError(() => ledger.verify(bad), 'datasetId');
    expectInputError(() => ledger.getDataset(bad), 'datasetId');
    expectInputError(() => ledger.charges(bad), 'datasetId');
    expectInputError(() => ledger.members(bad), 'datasetId');
    expectInputError(() => ledger.events(bad), 'datasetId');
    expectInputError(() => ledger.unlock(bad, 'note'), 'datasetId');
    expectInputError(() => ledger.replaceMembers(bad, memberHashes(3, 'r')), 'datasetId');
    expectInputError(() => exportLedger(ledger, bad, 'json'), 'datasetId');
  });

  it('a well-formed but unknown dataset id is DatasetNotFoundError', () => {
    for (const fn of [() => ledger.charge('ds_0000000000000000', GOOD), () => ledger.preview('ds_0000000000000000', GOOD), () => ledger.verify('ds_0000000000000000'), () => ledger.getDataset('ds_0000000000000000')]) {
      expect(fn).toThrow(DatasetNotFoundError);
    }
  });

  it.each(BAD_QUERIES)('query with bad %s: %j', (parameter, query) => {
    expectInputError(() => ledger.charge(datasetId, query as typeof GOOD), parameter);
    expectInputError(() => ledger.preview(datasetId, query as typeof GOOD), parameter);
    expect(ledger.getDataset(datasetId).charges).toBe(0);
  });

  it.each([0, -1, NaN, Infinity, -Infinity, 100.5, 1e300, '1', null, undefined])('cap %s', (cap) => {
    expectInputError(() => ledger.createDataset({ name: 'x', memberHashes: memberHashes(10, `cap${String(cap)}`), epsilonCap: cap as number }), 'epsilonCap');
  });

  it('δ above the size class’s δ, zero, negative or NaN is refused with a clear message', () => {
    // N = 1000 is in the class [1000, 2000): δ ≤ min(1e-5, 1/(10·2000)) = 1e-5
    const members = memberHashes(1000, 'delta');
    for (const delta of [1e-4, 1.0000001e-5, 0, -1e-7, NaN, Infinity, '1e-6']) {
      expectInputError(() => ledger.createDataset({ name: 'd', memberHashes: members, epsilonCap: 1, delta: delta as number }), 'delta');
    }
    // the class, not the exact N, fixes δ: N = 100,000 and N = 199,999 share [100000, 200000) and δ = 5e-7
    const many = memberHashes(100_000, 'delta-many');
    expect(() => ledger.createDataset({ name: 'd', memberHashes: many, epsilonCap: 1, delta: 6e-7 })).toThrow(/at most 5e-7, the δ of the dataset's size class/);
    const ok = ledger.createDataset({ name: 'd', memberHashes: many, epsilonCap: 1 });
    expect(ok.delta).toBe(5e-7);
    expect(ok.sizeClass).toEqual({ lower: 100_000, upper: 200_000 });
    // a size class that is not one of the series is refused
    expectInputError(() => ledger.createDataset({ name: 'd', memberHashes: memberHashes(10, 'cls'), epsilonCap: 1, sizeClass: { lower: 10, upper: 30 } }), 'sizeClass');
  });

  it('malformed member hashes and names are refused', () => {
    const good = memberHashes(5, 'names');
    const cases: [string, unknown][] = [
      ['memberHashes', []],
      ['memberHashes', 'abc'],
      ['memberHashes', [good[0]!.toUpperCase()]],
      ['memberHashes', [good[0]!.slice(1)]],
      ['memberHashes', [`${good[0]!.slice(1)}g`]],
      ['memberHashes', [good[0], good[1], good[0]]],
      ['memberHashes', [42]],
      ['memberHashes', ['/private/photos/patient-17.png']],
    ];
    for (const [parameter, hashes] of cases) expectInputError(() => ledger.createDataset({ name: 'm', memberHashes: hashes as string[], epsilonCap: 1 }), parameter);
    for (const name of ['', '   ', 'a\nb', 'x'.repeat(201), 7, null, 'tab\u0007bell']) {
      expectInputError(() => ledger.createDataset({ name: name as string, memberHashes: good, epsilonCap: 1 }), 'name');
    }
    expectInputError(() => ledger.createDataset(null as never), 'request');
    expectInputError(() => ledger.replaceMembers(datasetId, [good[0]!, good[0]!]), 'memberHashes');
    expectInputError(() => ledger.replaceMembers(datasetId, []), 'memberHashes');
  });

  it('other arguments: unlock note, receipt ids, export format, open options', () => {
    expectInputError(() => ledger.unlock(datasetId, ''), 'note');
    expectInputError(() => ledger.unlock(datasetId, 42 as never), 'note');
    expectInputError(() => ledger.hasReceipt('rc_x'), 'receiptId');
    expectInputError(() => ledger.hasReceipt(7 as never), 'receiptId');
    expectInputError(() => exportLedger(ledger, datasetId, 'xml' as never), 'format');
    expectInputError(() => openLedger(''), 'path');
    expectInputError(() => openLedger(':memory:'), 'path');
    expectInputError(() => openLedger(join(temp.dir, 'x.sqlite'), { forbiddenRoots: 'nope' as never }), 'forbiddenRoots');
    expectInputError(() => openLedger(join(temp.dir, 'x.sqlite'), { busyTimeoutMs: -1 }), 'busyTimeoutMs');
    expectInputError(() => openLedger(join(temp.dir, 'x.sqlite'), { busyTimeoutMs: 1.5 }), 'busyTimeoutMs');
  });

  it('a ledger inside a private image folder is refused (LedgerLocationError), even through a symlinked path', () => {
    const privateFolder = join(temp.dir, 'private-photos');
    mkdirSync(privateFolder);
    expect(() => openLedger(join(privateFolder, 'ledger.sqlite'), { forbiddenRoots: [privateFolder] })).toThrow(LedgerLocationError);
    expect(() => openLedger(join(privateFolder, 'sub', 'ledger.sqlite'), { forbiddenRoots: [privateFolder] })).toThrow(/inside the private image folder/);
    expect(existsSync(join(privateFolder, 'sub'))).toBe(false); // nothing was created inside the private folder
    expect(readdirSync(privateFolder)).toEqual([]);
    const link = join(temp.dir, 'link-to-photos');
    symlinkSync(privateFolder, link);
    expect(() => openLedger(join(link, 'ledger.sqlite'), { forbiddenRoots: [privateFolder] })).toThrow(LedgerLocationError);
    expect(() => openLedger(join(link, 'new', 'deeper', 'ledger.sqlite'), { forbiddenRoots: [privateFolder] })).toThrow(LedgerLocationError);
    expect(() => openLedger(join(privateFolder, 'ledger.sqlite'), { forbiddenRoots: [link] })).toThrow(LedgerLocationError);
    // Next to the folder (same prefix, different name) is fine.
    const beside = openLedger(join(temp.dir, 'private-photos-ledger', 'ledger.sqlite'), { forbiddenRoots: [privateFolder] });
    beside.close();
  });

  it('a closed ledger refuses with LedgerClosedError', () => {
    const other = openLedger(temp.path);
    other.close();
    expect(() => other.getDataset(datasetId)).toThrow(LedgerClosedError);
    expect(() => other.charge(datasetId, GOOD)).toThrow(LedgerClosedError);
  });
});
