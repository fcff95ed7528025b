/**
 * RDP → (ε, δ) conversion, minimised over the order grid.
 *
 * improved (default): ε = RDP(α) + ln((α−1)/α) − (ln δ + ln α)/(α−1)
 *   — Balle, Barthe, Gaboardi, Hsu, Sato (2020), "Hypothesis testing interpretations and Rényi DP", Thm 21;
 *     the form used by Opacus and TF-Privacy.
 * classic: ε = RDP(α) + ln(1/δ)/(α−1) — Mironov (2017), "Rényi Differential Privacy", Prop. 3.
 *
 * Conservative: an order whose RDP is NaN, negative or ∞ never wins the minimum; if no order is usable the
 * result is ε = +∞, which every budget check refuses.
 */
import { requireOpenUnit, requireOrders } from './validate.ts';
import { PrivacyParameterError } from './errors.ts';

export type Conversion = 'improved' | 'classic';

export interface EpsilonAtOrder {
  /** The smallest ε over the grid (never negative). */
  readonly epsilon: number;
  /** The order that attains it (NaN when no order is usable). */
  readonly order: number;
}

export function epsilonAtOrder(rdp: number, alpha: number, delta: number, conversion: Conversion): number {
  if (!(rdp >= 0 && rdp < Infinity)) return Infinity;
  const eps =
    conversion === 'classic'
      ? rdp + Math.log(1 / delta) / (alpha - 1)
      : rdp + Math.log1p(-1 / alpha) - (Math.log(delta) + Math.log(alpha)) / (alpha - 1);
  return Number.isNaN(eps) ? Infinity : eps;
}

export function epsilonFromRdp(
  rdp: ArrayLike<number>,
  orders: readonly number[],
  delta: number,
  conversion: Conversion = 'improved',
): EpsilonAtOrder {
  requireOrders(orders);
  requireOpenUnit('delta', delta);
  if (conversion !== 'improved' && conversion !== 'classic') {
    throw new PrivacyParameterError('conversion', `must be "improved" or "classic", got ${String(conversion)}`);
  }
  if (rdp.length !== orders.length) {
    throw new PrivacyParameterError('rdp', `has ${rdp.length} values for ${orders.length} orders`);
  }
  let best = Infinity;
  let bestOrder = NaN;
  for (let i = 0; i < orders.length; i++) {
    const eps = epsilonAtOrder(rdp[i]!, orders[i]!, delta, conversion);
    if (eps < best) {
      best = eps;
      bestOrder = orders[i]!;
    }
  }
  return { epsilon: best === Infinity ? Infinity : Math.max(0, best), order: bestOrder };
}
