/**
 * Starts the studio service for the desktop app: the same façade the CLI and the HTTP host use. Model sessions
 * run in a utility process (./model-process.ts), never on this (main) process's event loop or heap. The Demo
 * dataset is created on the first start so that a new curator can generate at once.
 */
import { utilityProcess } from 'electron';
import type { ModelChannelSpawn } from '../core/models/index.ts';
import { createStudioService } from '../core/studio/service.ts';
import { utilityProcessSpawn, type UtilityProcessApi } from './model-process.ts';
import type { StudioEvent, StudioHandlers } from '../core/contract/contract.ts';

export interface DesktopStudioService {
  readonly handlers: StudioHandlers;
  readonly subscribe: (listener: (event: StudioEvent) => void) => () => void;
  readonly resolveFile: (segments: readonly string[]) => string | undefined;
  close(): Promise<void>;
}

/** The model host's spawn inside Electron: a utility process running the bundled worker. */
export function desktopModelSpawn(): ModelChannelSpawn {
  return utilityProcessSpawn(utilityProcess as unknown as UtilityProcessApi);
}

export async function startStudioService(): Promise<DesktopStudioService> {
  const service = await createStudioService({ modelSpawn: desktopModelSpawn() });
  try {
    await service.ensureDemoDataset();
  } catch (error) {
    console.warn(`DP-RDM Studio: the Demo dataset could not be created (${(error as Error).message})`);
  }
  return {
    handlers: service.handlers,
    subscribe: (listener) => service.subscribe(listener),
    resolveFile: (segments) => service.resolveFile(segments),
    close: () => service.close(),
  };
}
