import { randomUUID } from 'node:crypto';

/** Cancellable jobs by id: `generate.cancel {jobId}` aborts the matching job's signal. */
export class JobRegistry {
  private readonly controllers = new Map<string, AbortController>();

  start(jobId: string | undefined, parent?: AbortSignal): { jobId: string; signal: AbortSignal; finish(): void } {
    const id = jobId ?? randomUUID();
    const controller = new AbortController();
    if (parent) {
      if (parent.aborted) controller.abort();
      else parent.addEventListener('abort', () => controller.abort(), { once: true });
    }
    this.controllers.set(id, controller);
    return { jobId: id, signal: controller.signal, finish: () => void this.controllers.delete(id) };
  }

  cancel(jobId: string): boolean {
    const controller = this.controllers.get(jobId);
    if (!controller) return false;
    controller.abort();
    return true;
  }
}
