/** Test helpers for the studio service: temp homes, small private folders copied from the demo set, PNG chunks. */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultModelDir } from '../../../core/datasets/index.ts';
import { readTextChunks } from '../../../core/export/png-text-chunks.ts';
import type { ImageProvenance } from '../../../core/export/provenance.ts';
import { parseRequest, type StudioChannel, type StudioEvent, type StudioRequest, type StudioResponses } from '../../../core/contract/contract.ts';
import type { StudioService } from '../../../core/studio/service.ts';

export const DEMO_FOLDER = join(defaultModelDir(), 'demo-private');
export const STUDIO_VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Temp folders made by this test file, removed by `cleanupTemp()`. */
const made: string[] = [];

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function cleanupTemp(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A private folder holding `count` demo images (offset `from`), optionally in a named subfolder of a temp dir. */
export function privateFolder(count = 40, from = 0): string {
  const folder = tempDir('dprdm-private-');
  const names = readdirSync(DEMO_FOLDER).sort().slice(from, from + count);
  mkdirSync(folder, { recursive: true });
  for (const name of names) cpSync(join(DEMO_FOLDER, name), join(folder, name));
  return folder;
}

export interface PngProvenance {
  readonly parameters: string;
  readonly dprdm: ImageProvenance;
}

export function pngProvenance(bytes: Buffer): PngProvenance {
  const chunks = readTextChunks(bytes);
  const parameters = chunks.get('parameters');
  const dprdm = chunks.get('dprdm');
  if (parameters === undefined || dprdm === undefined) throw new Error(`PNG lacks its provenance chunks (has ${[...chunks.keys()].join(', ') || 'none'})`);
  return { parameters, dprdm: JSON.parse(dprdm) as ImageProvenance };
}

/** Collects events; `next(pred)` resolves with the first (past or future) event matching `pred`. */
export class EventLog {
  readonly events: StudioEvent[] = [];
  private readonly waiters: { pred: (e: StudioEvent) => boolean; resolve: (e: StudioEvent) => void }[] = [];

  readonly push = (event: StudioEvent): void => {
    this.events.push(event);
    for (const w of this.waiters.slice()) {
      if (w.pred(event)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(event);
      }
    }
  };

  next(pred: (e: StudioEvent) => boolean, timeoutMs = 30_000): Promise<StudioEvent> {
    const seen = this.events.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for a studio event')), timeoutMs);
      this.waiters.push({
        pred,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
  }

  forJob(jobId: string): StudioEvent[] {
    return this.events.filter((e) => e.jobId === jobId);
  }
}

/** The rejection of `promise` (fails the test when it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & { code?: string; extra?: { remainingEpsilon?: number; suggestion?: string } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** Calls a channel the way every transport does: the request is validated (and defaulted) by its schema first. */
export type LocalApi = <C extends StudioChannel>(channel: C, request: StudioRequest<C>, signal?: AbortSignal) => Promise<StudioResponses[C]>;

export function localApi(service: () => StudioService): LocalApi {
  return async (channel, request, signal) => {
    const handler = service().handlers[channel] as (r: unknown, c: { signal?: AbortSignal }) => Promise<never>;
    return handler(parseRequest(channel, request), signal ? { signal } : {});
  };
}
