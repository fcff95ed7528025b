import { randomUUID } from 'node:crypto';
import { StudioError, type HandlerContext, type StudioEvent } from '../contract/contract.ts';
import { toStudioError, type ErrorScope } from './errors.ts';
import type { KeyedSerialQueue } from './serial-queue.ts';

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

export interface JobHost {
  readonly jobs: JobRegistry;
  readonly queue: KeyedSerialQueue;
  emit(event: StudioEvent): void;
}

export interface JobSpec {
  /** The serial queue the job runs in (a dataset id: one job of a dataset at a time). */
  readonly key: string;
  readonly jobId: string | undefined;
  readonly scope: ErrorScope;
  /** Adds context to an error before it is mapped (for example the names of overlapping datasets). */
  readonly explain?: (error: unknown) => unknown;
}

/**
 * Every long-running handler's life in one place: registered at once (so a job still waiting in its queue can be
 * cancelled, and then ends at once rather than when its predecessor finishes), run in its queue, ended with exactly
 * one `job-end` event, its errors mapped for its scope.
 */
export async function runJob<T>(
  host: JobHost,
  ctx: HandlerContext,
  spec: JobSpec,
  body: (jobId: string, signal: AbortSignal) => Promise<T>,
  cancelledBy: (result: T) => boolean = () => false,
): Promise<T> {
  const job = host.jobs.start(spec.jobId ?? randomUUID(), ctx.signal);
  let outcome: 'done' | 'cancelled' | 'failed' = 'failed';
  const queuedCancel = () => new StudioError('CANCELLED', 'cancelled while waiting in the queue; nothing was charged');
  try {
    let started = false;
    const queued = host.queue.run(spec.key, () => {
      if (job.signal.aborted) throw queuedCancel();
      started = true;
      return body(job.jobId, job.signal);
    });
    const result = await new Promise<T>((resolveJob, rejectJob) => {
      queued.then(resolveJob, rejectJob);
      const onAbort = () => {
        if (!started) rejectJob(queuedCancel());
      };
      if (job.signal.aborted) onAbort();
      else job.signal.addEventListener('abort', onAbort, { once: true });
    });
    outcome = cancelledBy(result) ? 'cancelled' : 'done';
    return result;
  } catch (error) {
    const mapped = toStudioError(spec.explain ? spec.explain(error) : error, spec.scope);
    if (mapped.code === 'CANCELLED' || job.signal.aborted) outcome = 'cancelled';
    throw mapped;
  } finally {
    job.finish();
    host.emit({ type: 'job-end', jobId: job.jobId, outcome });
  }
}
