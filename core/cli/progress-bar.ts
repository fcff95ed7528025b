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

/** Indexing progress: files done, rate and ETA. */
export function indexProgress(io: CommandIO, label = 'indexing'): ((p: { filesDone: number; filesTotal: number; ratePerSecond: number; etaSeconds?: number | undefined }) => void) | undefined {
  const line = progressBar(io, label);
  if (!line) return undefined;
  return (p) => line(p.filesDone, p.filesTotal, `${p.ratePerSecond.toFixed(0)} files/s${p.etaSeconds === undefined ? '' : ` ETA ${Math.ceil(p.etaSeconds)}s`}`);
}
