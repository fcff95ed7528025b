/**
 * Starts the studio service for the desktop app: the same façade the CLI and the HTTP host use. Model sessions
 * and exact searches run in the service's worker threads, never on this (main) process's event loop.
 */
import type { StudioEvent, StudioHandlers } from '../core/studio/contract.ts';

export interface DesktopStudioService {
  readonly handlers: StudioHandlers;
  readonly subscribe: (listener: (event: StudioEvent) => void) => () => void;
  readonly resolveFile: (segments: readonly string[]) => string | undefined;
  close(): Promise<void>;
}

export async function startStudioService(): Promise<DesktopStudioService> {
  throw new Error('the studio service (core/studio/service.ts) is not available yet');
}
