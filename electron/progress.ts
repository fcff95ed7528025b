/**
 * Taskbar/dock progress from the studio's progress events: the running job's fraction, cleared when it ends.
 */
import type { StudioEvent } from '../core/contract/contract.ts';

export interface ProgressTarget {
  setProgressBar(progress: number): void;
  isDestroyed(): boolean;
}

export function taskbarProgress(target: ProgressTarget): (event: StudioEvent) => void {
  const running = new Map<string, number>();
  return (event) => {
    if (target.isDestroyed()) return;
    if (event.type === 'progress' && event.total > 0) running.set(event.jobId, Math.min(1, Math.max(0, event.done / event.total)));
    else if (event.type === 'job-end') running.delete(event.jobId);
    else return;
    // Several jobs: show the least advanced one. None: clear (-1 removes the bar).
    target.setProgressBar(running.size ? Math.min(...running.values()) : -1);
  };
}
