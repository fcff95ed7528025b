import { StudioError } from '../contract/contract.ts';
import { createStudioService, type StudioService, type StudioServiceOptions } from '../studio/service.ts';
import type { CommandIO } from './io.ts';
import { reportStudioError } from './studio-error.ts';

/**
 * One CLI command's studio: opened, used, and always closed; a studio refusal becomes one stderr line and its exit
 * code (studio-error.ts), anything else propagates to main's handler.
 */
export async function withStudioService(io: CommandIO, options: StudioServiceOptions, run: (service: StudioService) => Promise<number>): Promise<number> {
  const service = await createStudioService(options);
  try {
    return await run(service);
  } catch (error) {
    if (error instanceof StudioError) return reportStudioError(io, error);
    throw error;
  } finally {
    await service.close();
  }
}
