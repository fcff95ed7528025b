// The privacy engine's public surface. Internals (top-k, clipped mean) are deliberately not re-exported:
// nothing outside core/privacy may obtain a pre-noise aggregate of private rows. `publicAggregate` is for the
// model set's bundled public retrieval set only (public-only mode).
export * from './accountant.ts';
export * from './conversion.ts';
export * from './errors.ts';
export * from './orders.ts';
export { cryptoEntropy, seededEntropy, RandomStream, roundToNoiseGrid, type EntropySource } from './entropy.ts';
export { publicAggregate } from './public-aggregate.ts';
// NOT private: the σ = 0 reference of the curator's utility evaluation (core/evaluation only; never released).
export { nonPrivateReferenceAggregate } from './reference-aggregate.ts';
export { privateAggregate, type AggregateParameters, type NoisyAggregate, type AggregateOptions } from './private-aggregate.ts';
export { type EmbeddingMatrix, type EmbeddingRows, type StorePrecision, validateMatrixShape } from './embedding-matrix.ts';
// Where a private store's rows live: resident (in WebAssembly memory the SIMD kernel scores in place, float32 or
// float16), or read by row ranges into an arena's gather buffer (core/datasets/paged-store.ts).
export { allocateEmbeddingMatrix, allocateResidentStore, ResidentStore } from './resident-store.ts';
export { allocateArena, simdAvailable, type ScoringArena } from './simd-scores.ts';
export { decodeFloat16, encodeFloat16, float16Bits } from './float16.ts';
