// The model runtime's public surface (DESIGN §6): manifest, verification, execution providers, tokenizer,
// preprocessing, encoders, the DDIM sampler and the worker-thread host.
export * from './errors.ts';
export * from './manifest.ts';
export * from './preprocess.ts';
