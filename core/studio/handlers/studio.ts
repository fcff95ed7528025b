/** The studio room: what this studio is (version, model set, execution providers) and its settings. */
import { ACCELERATORS, currentProviderEnvironment, unavailableReason } from '../../models/index.ts';
import type { StudioHandlers, StudioInfo } from '../../contract/contract.ts';
import { STUDIO_VERSION, type StudioContext } from '../context.ts';

export function studioHandlers(ctx: StudioContext): Pick<StudioHandlers, 'studio.info' | 'settings.get' | 'settings.set'> {
  const { manifest, home } = ctx;
  const current = () => ({ executionProvider: ctx.settings().executionProvider, dataDirectory: home });
  return {
    'studio.info': async (): Promise<StudioInfo> => {
      const env = await currentProviderEnvironment();
      return {
        version: STUDIO_VERSION,
        modelSet: { name: manifest.name, version: manifest.version, embeddingDim: manifest.embedding.dim, k: manifest.retrieval.k, examplePrompts: manifest.examplePrompts },
        dataDirectory: home,
        executionProviders: [
          { name: 'cpu', available: true },
          ...ACCELERATORS.map((name) => {
            const note = unavailableReason(name, env);
            return { name, available: note === undefined, ...(note ? { note } : {}) };
          }),
        ],
      };
    },
    'settings.get': async () => current(),
    'settings.set': async (r) => {
      if (r.executionProvider && r.executionProvider !== ctx.settings().executionProvider) ctx.updateSettings({ ...ctx.settings(), executionProvider: r.executionProvider });
      return current();
    },
  };
}
