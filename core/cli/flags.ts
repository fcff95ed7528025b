/**
 * Strict flag parsing for every command: unknown flags, missing values and malformed numbers are usage
 * errors (exit 2, one line), never silently ignored.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './usage-error.ts';

export type FlagSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

export interface ParsedFlags {
  readonly values: Record<string, string | boolean | string[] | undefined>;
  readonly positionals: string[];
}

/** `--epsilon -1` is a value, not a flag: join a negative number to the string flag before it (`--epsilon=-1`). */
function joinNegativeValues(argv: readonly string[], spec: FlagSpec): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i]!.startsWith('--') ? argv[i]!.slice(2) : undefined;
    const next = argv[i + 1];
    if (name !== undefined && spec[name]?.type === 'string' && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      out.push(`--${name}=${next}`);
      i++;
    } else out.push(argv[i]!);
  }
  return out;
}

export function parseFlags(argv: readonly string[], spec: FlagSpec, maxPositionals = 0): ParsedFlags {
  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeValues(argv, spec), options: spec, strict: true, allowPositionals: true });
  } catch (error) {
    // Node's messages carry advice about positionals that does not apply here; keep the first sentence, and list
    // the flags this command knows.
    const first = ((error as Error).message.split('\n')[0] ?? 'invalid arguments').replace(/\. To specify a positional argument.*$/, '');
    const known = Object.keys(spec).map((name) => `--${name}`).join(', ');
    throw new UsageError(/^Unknown option/.test(first) ? `${first}; this command takes ${known}` : first);
  }
  if (parsed.positionals.length > maxPositionals) {
    throw new UsageError(`unexpected argument "${parsed.positionals[maxPositionals]}"`);
  }
  return { values: parsed.values as ParsedFlags['values'], positionals: parsed.positionals };
}

export function requireString(flags: ParsedFlags, name: string): string {
  const value = flags.values[name];
  if (typeof value !== 'string' || value.length === 0) throw new UsageError(`--${name} is required`);
  return value;
}

export function optionalString(flags: ParsedFlags, name: string): string | undefined {
  const value = flags.values[name];
  return typeof value === 'string' ? value : undefined;
}

const NUMBER_PATTERN = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function parseNumber(name: string, text: string): number {
  const value = NUMBER_PATTERN.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isFinite(value)) throw new UsageError(`--${name} must be a finite number, got "${text}"`);
  return value;
}

export function requireNumber(flags: ParsedFlags, name: string): number {
  return parseNumber(name, requireString(flags, name));
}

export function optionalNumber(flags: ParsedFlags, name: string): number | undefined {
  const text = optionalString(flags, name);
  return text === undefined ? undefined : parseNumber(name, text);
}

export function requireInteger(flags: ParsedFlags, name: string): number {
  const value = requireNumber(flags, name);
  if (!Number.isSafeInteger(value)) throw new UsageError(`--${name} must be an integer, got ${value}`);
  return value;
}

export function optionalChoice<T extends string>(flags: ParsedFlags, name: string, choices: readonly T[]): T | undefined {
  const value = optionalString(flags, name);
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got "${value}"`);
  return value as T;
}
