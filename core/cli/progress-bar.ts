/** A one-line terminal progress bar on stderr (drawn only when stderr is a terminal). */
import type { CommandIO } from './io.ts';

export type ProgressLine = (done: number, total: number, detail?: string) => void;

export function progressBar(io: CommandIO, label: string, width = 30): ProgressLine | undefined {
  if (!io.interactive) return undefined;
  return (done, total, detail = '') => {
    const filled = total > 0 ? Math.min(width, Math.round((done / total) * width)) : 0;
    io.stderr(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}${detail ? ` ${detail}` : ''}   `);
    if (done >= total && total > 0) io.stderr('\n');
  };
}
