// Tolerances for the golden tests, derived from the computation rather than measured on one machine.
//
// onnxruntime's CPU kernels (MLAS) pick SIMD code paths by processor, so a float32 forward pass differs across
// machines by rounding in the order of summation. Numerics-relevant session options are pinned in one place
// (REFERENCE_NUMERICS in core/models/execution-provider.ts: one intra-op and one inter-op thread, sequential
// execution, full graph optimisation, as the Python reference session), and the bounds below follow from them:
//
//  - ONE_PASS: one forward pass (text/image encoder, one UNet call). float32 has a unit roundoff of 6e-8; a few
//    hundred accumulations of O(1) activations give differences of about 1e-6–1e-5. 1e-4 is an order of magnitude
//    above that and still three orders below anything that changes an embedding's neighbours or an image.
//  - ddimStepBound: one DDIM + CFG step started from the reference state. With clipped x0 the step is
//      x' = c_x · x + c_0 · clip((x − √(1−ᾱ)·e)/√ᾱ),   c_0 = √ᾱ' − √((1−ᾱ')·ᾱ/(1−ᾱ)),   c_x = √(1−ᾱ')/√(1−ᾱ)
//    and the guided ε = e_u + g·(e_t − e_u) + g_r·(e_c − e_t) (g_r = 0: plain guidance) carries at most
//    (1 + 2g + 2g_r)·ONE_PASS of the UNet's error; clip is 1-Lipschitz and bounded, so
//    |Δx'| ≤ |c_0| · min(2, √((1−ᾱ)/ᾱ)·(1 + 2g + 2g_r)·ONE_PASS).
//  - SAMPLE: a whole trajectory feeds each step's error into the next UNet call, whose Lipschitz constant no test
//    can bound, so the full sample is held to what a person sees: half of one 8-bit level of the rendered image
//    (pixel = round((x + 1)·127.5), so half a level is 1/255 in the decoder's [-1, 1] range). Two machines of the
//    same kind measured 1.01e-4 and 1.0139e-4 here; the bound leaves a wide margin and still fails on any change
//    that would alter a pixel by more than one level.
export const ONE_PASS = 1e-4;
export const SAMPLE = 1 / 255;

export function ddimStepBound(alphaT: number, alphaPrev: number, guidance: number, retrievalGuidance = 0): number {
  const c0 = Math.abs(Math.sqrt(alphaPrev) - Math.sqrt(((1 - alphaPrev) * alphaT) / (1 - alphaT)));
  const x0Error = Math.min(2, Math.sqrt((1 - alphaT) / alphaT) * (1 + 2 * guidance + 2 * retrievalGuidance) * ONE_PASS);
  // a float32 rounding of x' itself (|x'| ≤ a few) on top
  return c0 * x0Error + 4 * 2 ** -23;
}
