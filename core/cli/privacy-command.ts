/** `dprdm privacy epsilon|sigma`: the accountant from the command line. */
import { calibrateSigma, epsilon, type OrderGrid } from '../privacy/index.ts';
import type { Conversion } from '../privacy/conversion.ts';
import { optionalChoice, parseFlags, requireInteger, requireNumber, type FlagSpec, type ParsedFlags } from './flags.ts';
import { printJson, type CommandIO } from './io.ts';
import { UsageError } from './usage-error.ts';

const common: FlagSpec = {
  q: { type: 'string' },
  k: { type: 'string' },
  queries: { type: 'string' },
  delta: { type: 'string' },
  orders: { type: 'string' },
  conversion: { type: 'string' },
  json: { type: 'boolean' },
};

function accountingOptions(flags: ParsedFlags): { orders: OrderGrid; conversion: Conversion } {
  return {
    orders: optionalChoice(flags, 'orders', ['default', 'integer'] as const) ?? 'default',
    conversion: optionalChoice(flags, 'conversion', ['improved', 'classic'] as const) ?? 'improved',
  };
}

function assumptions(orders: OrderGrid, conversion: Conversion): string {
  const grid = orders === 'integer' ? 'integer orders 2…63, 64, 128, 256' : 'orders 1.1…10.9, 11…63, 64, 128, 256';
  const conv = conversion === 'classic' ? 'classic conversion ε = RDP(α) + ln(1/δ)/(α−1) (Mironov 2017)' : 'improved conversion (Balle et al. 2020)';
  return [
    'Assumptions: add/remove-one adjacency on images; each query averages k neighbours clipped to norm 1',
    '(sensitivity 2/k) of a fresh Poisson subsample at rate q and adds Gaussian noise σ (noise multiplier σk/2);',
    `RDP of the subsampled Gaussian (Mironov, Talwar, Zhang 2019) composed over the queries, ${grid}, ${conv}.`,
  ].join('\n');
}

async function epsilonCommand(argv: string[], io: CommandIO): Promise<number> {
  const flags = parseFlags(argv, { ...common, sigma: { type: 'string' } });
  const options = accountingOptions(flags);
  const request = {
    q: requireNumber(flags, 'q'),
    sigma: requireNumber(flags, 'sigma'),
    k: requireInteger(flags, 'k'),
    queries: requireInteger(flags, 'queries'),
    delta: requireNumber(flags, 'delta'),
    ...options,
  };
  const result = epsilon(request);
  if (flags.values.json) {
    printJson(io, { epsilon: result.epsilon, order: result.order, noiseMultiplier: result.noiseMultiplier });
    return 0;
  }
  io.stdout(
    [
      `ε = ${result.epsilon.toPrecision(6)} at δ = ${request.delta} after ${request.queries} queries`,
      `  σ = ${request.sigma}, k = ${request.k}, q = ${request.q}: noise multiplier z = σk/2 = ${result.noiseMultiplier.toPrecision(6)}`,
      `  best Rényi order α = ${result.order}`,
      assumptions(options.orders, options.conversion),
      '',
    ].join('\n'),
  );
  return 0;
}

async function sigmaCommand(argv: string[], io: CommandIO): Promise<number> {
  const flags = parseFlags(argv, { ...common, epsilon: { type: 'string' } });
  const options = accountingOptions(flags);
  const request = {
    q: requireNumber(flags, 'q'),
    k: requireInteger(flags, 'k'),
    queries: requireInteger(flags, 'queries'),
    delta: requireNumber(flags, 'delta'),
    epsilon: requireNumber(flags, 'epsilon'),
    ...options,
  };
  const result = calibrateSigma(request);
  if (flags.values.json) {
    printJson(io, { sigma: result.sigma, epsilon: result.epsilon });
    return 0;
  }
  io.stdout(
    [
      `σ = ${result.sigma.toPrecision(6)} is the smallest noise that keeps ε ≤ ${request.epsilon} at δ = ${request.delta} over ${request.queries} queries`,
      `  achieved ε = ${result.epsilon.toPrecision(6)} (order α = ${result.order}); k = ${request.k}, q = ${request.q}, noise multiplier z = ${result.noiseMultiplier.toPrecision(6)}`,
      assumptions(options.orders, options.conversion),
      '',
    ].join('\n'),
  );
  return 0;
}

export async function privacyCommand(argv: string[], io: CommandIO): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'epsilon') return epsilonCommand(rest, io);
  if (sub === 'sigma') return sigmaCommand(rest, io);
  throw new UsageError(`usage: dprdm privacy epsilon|sigma [flags]${sub === undefined ? '' : ` (unknown "${sub}")`}`);
}
