/**
 * Shared by the bench scripts: `--json` mode (human lines go to stderr, one JSON object to stdout, so `bench:all`
 * can collect figures while the default output stays what it was), the machine description, and quantiles.
 */
import os from 'node:os';

export const jsonMode = process.argv.includes('--json');

/** A human line: stdout normally, stderr under --json (stdout then carries only the JSON). */
export function say(line = ''): void {
  if (jsonMode) process.stderr.write(`${line}\n`);
  else console.log(line);
}

/** Under --json, prints the bench's figures as one JSON object on stdout. */
export function emitJson(value: unknown): void {
  if (jsonMode) process.stdout.write(`${JSON.stringify(value)}\n`);
}

export interface MachineInfo {
  readonly cores: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly node: string;
  readonly platform: string;
  readonly loadAverage: number[];
}

export function machineInfo(): MachineInfo {
  return {
    cores: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    loadAverage: os.loadavg().map((v) => Math.round(v * 100) / 100),
  };
}

/** The value below which a fraction p of the samples lie (nearest rank; with few samples p95 is the maximum). */
export function quantile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

export interface Spread {
  readonly median: number;
  readonly p95: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

export function spread(samples: readonly number[]): Spread {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  const median = n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  return { median, p95: quantile(sorted, 0.95), min: sorted[0]!, max: sorted[n - 1]!, n };
}

/** Milliseconds with sensible precision for a table. */
export function ms(x: number): string {
  if (!Number.isFinite(x)) return '–';
  if (x < 0.1) return x.toFixed(3);
  if (x < 10) return x.toFixed(2);
  if (x < 1000) return x.toFixed(1);
  return x.toFixed(0);
}
