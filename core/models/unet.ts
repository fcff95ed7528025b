/** The decoder UNet as an `EpsFunction` for the sampler. */
import type { EpsFunction } from './ddim.ts';
import { ort, runFloat } from './session.ts';

export function unetEps(session: ort.InferenceSession, imageSize: number, channels: number, condDim: number): EpsFunction {
  return async (x, t, cond, rows) => {
    const feeds = {
      x: new ort.Tensor('float32', x, [rows, channels, imageSize, imageSize]),
      t: new ort.Tensor('float32', t, [rows]),
      cond: new ort.Tensor('float32', cond, [rows, condDim]),
    };
    return runFloat(session, feeds, 'eps');
  };
}
