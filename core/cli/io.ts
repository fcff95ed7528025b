/** Where a command writes. Injected so that tests run commands in-process and read what they printed. */
export interface CommandIO {
  stdout(text: string): void;
  stderr(text: string): void;
  /** True when stderr is a terminal (progress bars are drawn only then). */
  readonly interactive: boolean;
}

export const processIO: CommandIO = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  interactive: Boolean(process.stderr.isTTY),
};

/**
 * One JSON line. Membership fingerprints are internal (a deterministic function of the members' content: with all
 * but one image known, it tells whether a candidate is in the folder), so no command ever prints one.
 */
export function printJson(io: CommandIO, value: unknown): void {
  io.stdout(`${JSON.stringify(value, (key, v: unknown) => (/fingerprint/i.test(key) ? undefined : v))}\n`);
}

/** A number for people: three significant digits, no trailing zeros (full precision goes to --json). */
export function forPeople(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '—' : String(Number(x.toPrecision(3)));
}
