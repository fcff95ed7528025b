// `npm run audit [-- --trials N] [--json]`: the empirical privacy audit (test/core/privacy/audit.ts) with more trials
// than the test, on the test's setting and on a Poisson-subsampled one, for the real mechanism and two broken ones.
// Prints each claimed ε beside its 95% lower bound. Seeded ChaCha20 entropy: the figures are reproducible.
import { parseArgs } from 'node:util';
import { calibrateSigma, privateAggregate } from '../core/privacy/index.ts';
import { audit, seeded, type Mechanism } from '../test/core/privacy/audit.ts';

const { values } = parseArgs({ options: { trials: { type: 'string', default: '400000' }, json: { type: 'boolean', default: false } } });
const trials = Number(values.trials);
if (!(Number.isSafeInteger(trials) && trials >= 1000)) {
  process.stderr.write('--trials must be an integer ≥ 1000\n');
  process.exit(2);
}
const delta = 1e-5;
const mechanisms: Record<string, Mechanism> = {
  real: (t, store, p, seed) => privateAggregate(t, store, p, seeded(seed)),
  'quarter noise (broken)': (t, store, p, seed) => privateAggregate(t, store, { ...p, sigma: p.sigma / 4 }, seeded(seed)),
  'no division by k (broken)': (t, store, p, seed) => ({ vector: privateAggregate(t, store, { ...p, sigma: p.sigma / p.k }, seeded(seed)).vector.map((v) => v * p.k) }),
};
const rows = [];
for (const { q, k, epsilon } of [
  { q: 1, k: 4, epsilon: 3 },
  { q: 0.5, k: 8, epsilon: 3 },
]) {
  const sigma = calibrateSigma({ q, k, queries: 1, delta, epsilon }).sigma;
  for (const [name, mechanism] of Object.entries(mechanisms)) {
    const t0 = performance.now();
    const r = audit(mechanism, { q, sigma, k, delta, trials, seed: `npm-run-audit:${q}:${k}` });
    rows.push({ mechanism: name, q, k, sigma, delta, trials, claimedEpsilon: r.claimedEpsilon, epsilonLowerBound: r.epsilonLowerBound, caught: r.epsilonLowerBound > r.claimedEpsilon, seconds: (performance.now() - t0) / 1000 });
    if (!values.json) {
      const last = rows.at(-1)!;
      console.log(`${name.padEnd(26)} q ${q} k ${k} σ ${sigma.toPrecision(4)}: claimed ε ${last.claimedEpsilon.toFixed(3)}, 95% lower bound ${last.epsilonLowerBound.toFixed(3)}${last.caught ? '  ← exceeds the claim' : ''} (${trials} runs per side, ${last.seconds.toFixed(1)} s)`);
    }
  }
}
if (values.json) console.log(JSON.stringify({ rows }));
