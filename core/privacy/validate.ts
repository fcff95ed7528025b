import { PrivacyParameterError } from './errors.ts';

// Every check is written so that NaN fails it: `!(x > 0)` is true for NaN, `x <= 0` is not.

export function requireProbability(name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value > 0 && value <= 1)) {
    throw new PrivacyParameterError(name, `must be a number in (0, 1], got ${String(value)}`);
  }
  return value;
}

export function requireOpenUnit(name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value > 0 && value < 1)) {
    throw new PrivacyParameterError(name, `must be a number in (0, 1), got ${String(value)}`);
  }
  return value;
}

export function requirePositiveFinite(name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value > 0 && value < Infinity)) {
    throw new PrivacyParameterError(name, `must be a finite number > 0, got ${String(value)}`);
  }
  return value;
}

export function requireCount(name: string, value: unknown, minimum: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || !(value >= minimum)) {
    throw new PrivacyParameterError(name, `must be an integer ≥ ${minimum}, got ${String(value)}`);
  }
  return value;
}

export function requireOrders(orders: unknown): readonly number[] {
  if (!Array.isArray(orders) || orders.length === 0) {
    throw new PrivacyParameterError('orders', 'must be a non-empty array of Rényi orders > 1');
  }
  for (const order of orders) {
    if (typeof order !== 'number' || !(order > 1 && order < Infinity)) {
      throw new PrivacyParameterError('orders', `every order must be a finite number > 1, got ${String(order)}`);
    }
  }
  return orders as number[];
}
