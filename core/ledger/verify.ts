/**
 * Verification of a dataset's chain (docs/design.md §5): the cheap tail check run before every charge, and the full
 * recomputation `verify` runs (hash chain, each query's RDP from the accountant, the cumulative RDP and ε, the
 * filter's admission of every row, the head record, the header and the membership fingerprint).
 */
import { epsilonFromRdp, queryRdp } from '../privacy/index.ts';
import { chargeHash, decodeVector, genesisHash, headerHash, membershipFingerprint } from './encoding.ts';
import { admits, epsilonOfRdp, isUsableFilter } from './filter.ts';
import { STORED_KINDS, addVectors, fieldsOf, filterOf, headerFieldsOf, nearlyEqual, parseOrders, type ChargeRow, type DatasetRow, type HeadRow } from './rows.ts';
import { deltaForSizeClass, isSizeClass } from './size-class.ts';
import type { VerifyProblem } from './types.ts';
import { requireQuery, type ValidQuery } from './validate.ts';

/** Integrity of the dataset header and the chain's tail: cheap checks run before every charge. */
export function tailProblem(row: DatasetRow, orders: readonly number[], head: HeadRow | undefined, last: ChargeRow | undefined): string | undefined {
  if (headerHash(headerFieldsOf(row)) !== row.header_hash) return 'the dataset header (cap, δ, filter order, size class) was modified';
  if (!head) return 'the head record is missing';
  if (!last) return head.count === 0 && head.last_hash === genesisHash(row.id) ? undefined : `the head records ${head.count} charges but none are stored (rows deleted)`;
  if (last.seq !== head.count || last.hash !== head.last_hash) return `the head records ${head.count} charges but the last stored one is #${last.seq} (rows deleted or altered)`;
  if (chargeHash(fieldsOf(last)) !== last.hash) return `charge #${last.seq} was modified (hash mismatch)`;
  if (!decodeVector(last.cumulative_rdp, orders.length)) return `charge #${last.seq} has an unreadable cumulative RDP`;
  return undefined;
}

/** Every check of `verify` over the dataset's stored rows (no locking, no I/O). */
export function verifyRows(
  row: DatasetRow,
  charges: ChargeRow[],
  head: HeadRow | undefined,
  members: string[],
): { problems: VerifyProblem[]; count: number; spent: number } {
  const problems: VerifyProblem[] = [];
  if (headerHash(headerFieldsOf(row)) !== row.header_hash) {
    problems.push({ seq: null, problem: 'the dataset header (cap ε, δ, unit, filter order, size class or q) was modified: its hash does not match' });
  }
  const orders = parseOrders(row.orders);
  if (!orders) {
    problems.push({ seq: null, problem: 'the order grid is unreadable' });
    return { problems, count: charges.length, spent: NaN };
  }
  const filter = filterOf(row);
  const index = orders.indexOf(filter.order);
  const sizeClass = { lower: row.size_lower, upper: row.size_upper };
  if (!(row.epsilon_cap > 0 && row.epsilon_cap <= 100) || !isSizeClass(sizeClass) || !(row.delta > 0 && row.delta <= deltaForSizeClass(sizeClass))) {
    problems.push({ seq: null, problem: 'the cap ε, δ or size class is out of range' });
  }
  if (index < 0 || !isUsableFilter(filter)) problems.push({ seq: null, problem: `the filter order α = ${filter.order} is not usable on the order grid` });
  if (members.length !== row.member_count) problems.push({ seq: null, problem: `the dataset records ${row.member_count} images but ${members.length} member hashes are stored` });
  else if (membershipFingerprint(members) !== row.fingerprint) problems.push({ seq: null, problem: 'the membership fingerprint does not match the stored member hashes' });

  let cumulative: number[] = new Array<number>(orders.length).fill(0);
  let prevHash = genesisHash(row.id);
  let spent = 0;
  const rdpCache = new Map<string, number[] | undefined>();
  let expectedSeq = 1;
  for (const c of charges) {
    const at = (problem: string) => problems.push({ seq: c.seq, receiptId: c.receipt_id, problem });
    const legacy = c.seq < row.filter_from_seq; // admitted by schema 1's rule: verified by it
    if (c.seq !== expectedSeq) {
      at(c.seq > expectedSeq ? `charge${c.seq - expectedSeq > 1 ? 's' : ''} #${expectedSeq}${c.seq - expectedSeq > 1 ? `–#${c.seq - 1}` : ''} missing (deleted)` : `sequence number out of order (expected #${expectedSeq})`);
    }
    if (c.prev_hash !== prevHash) at('its previous-row hash does not match the row before it (a row was deleted, inserted or reordered)');
    if (chargeHash(fieldsOf(c)) !== c.hash) at('its contents do not match its hash (the row was edited)');
    const rdp = decodeVector(c.rdp, orders.length);
    const stored = decodeVector(c.cumulative_rdp, orders.length);
    if (!rdp) at('its RDP vector is unreadable or holds NaN/negative values');
    if (!stored) at('its cumulative RDP vector is unreadable or holds NaN/negative values');
    if (!STORED_KINDS.has(c.kind) || (c.kind === 'inherit' && legacy)) at(`unknown kind "${c.kind}"`);
    if (c.kind !== 'inherit') {
      let valid: ValidQuery | undefined;
      try {
        valid = requireQuery({ q: c.q, sigma: c.sigma, k: c.k, lambda: c.lambda, purpose: c.purpose, kind: c.kind });
      } catch {
        at('its mechanism parameters are invalid');
      }
      if (rdp && valid) {
        const key = `${valid.q}|${valid.sigma}|${valid.k}`;
        let expected = rdpCache.get(key);
        if (!rdpCache.has(key)) {
          try {
            expected = queryRdp(valid, orders);
          } catch {
            expected = undefined;
          }
          rdpCache.set(key, expected);
        }
        if (!expected || expected.some((v, i) => !nearlyEqual(rdp[i]!, v))) at(`its RDP vector does not match the accountant for q = ${c.q}, σ = ${c.sigma}, k = ${c.k}`);
      }
    } else if (rdp && !(rdp[index]! < Infinity)) at('its inherited RDP is not finite');
    if (rdp) {
      const next = addVectors(cumulative, rdp);
      if (stored && next.some((v, i) => v !== stored[i])) at('its cumulative RDP is not the sum of the charges up to it');
      if (legacy) {
        const eps = epsilonFromRdp(next, orders, row.delta);
        if (!(eps.epsilon === c.cumulative_epsilon)) at(`its cumulative ε ${c.cumulative_epsilon} does not match the recomputed ${eps.epsilon}`);
        else if (!(eps.order === c.epsilon_order)) at('its recorded Rényi order does not match');
        const own = epsilonFromRdp(rdp, orders, row.delta).epsilon;
        if (!(own === c.epsilon_this_query)) at(`its own ε ${c.epsilon_this_query} does not match the recomputed ${own}`);
        if (!(eps.epsilon <= row.epsilon_cap)) at(`it brought ε to ${eps.epsilon}, above the cap ${row.epsilon_cap}`);
      } else if (index >= 0) {
        const used = epsilonOfRdp(filter, next[index]!);
        const cost = epsilonOfRdp(filter, rdp[index]!);
        if (!(used === c.cumulative_epsilon)) at(`its ε used ${c.cumulative_epsilon} does not match the recomputed ${used}`);
        else if (!(c.epsilon_order === filter.order)) at('its recorded Rényi order is not the dataset’s');
        if (!(cost === c.epsilon_this_query)) at(`its cost ε ${c.epsilon_this_query} does not match the recomputed ${cost}`);
        if (!admits(filter, cumulative[index]!, rdp[index]!)) at(`the filter would not have admitted it (ε used ${used} > cap ${row.epsilon_cap})`);
      }
      cumulative = next;
      spent = index >= 0 ? epsilonOfRdp(filter, next[index]!) : NaN;
    }
    prevHash = c.hash;
    expectedSeq = c.seq + 1;
  }
  if (!head) problems.push({ seq: null, problem: 'the head record (count and last hash) is missing' });
  else {
    if (head.count !== charges.length) {
      problems.push({ seq: null, problem: `the head records ${head.count} charges but ${charges.length} are stored (${head.count > charges.length ? 'rows were deleted or the ledger was truncated' : 'rows were inserted'})` });
    } else if (head.last_hash !== prevHash) problems.push({ seq: null, problem: 'the head’s last hash does not match the last charge (the tail was altered)' });
  }
  return { problems, count: charges.length, spent };
}
