// The model runtime's public surface (docs/design.md §6): manifest, verification, execution providers, tokenizer,
// preprocessing, encoders, the DDIM sampler and the worker-thread host.
export * from './errors.ts';
export * from './manifest.ts';
export * from './preprocess.ts';
export * from './verify.ts';
export * from './execution-provider.ts';
export * from './tokenizer.ts';
export * from './encoders.ts';
export * from './noise.ts';
export * from './ddim.ts';
export * from './condition.ts';
export * from './unet.ts';
export * from './runtime.ts';
export { openSession, resolveProvider, type OpenedSession } from './session.ts';
export * from './model-host.ts';
export * from './public-retrieval.ts';
