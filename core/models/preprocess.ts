/**
 * Image preprocessing for the image encoder, and the way back from generated tensors to PNG files.
 *
 * Every input, whatever its origin, takes the same path through sharp (libvips):
 *  1. auto-orient from the EXIF Orientation tag, so a phone photo is embedded the way people see it;
 *  2. flatten any alpha channel onto WHITE — a transparent PNG is shown on a light background by every viewer
 *     and file browser, so white is what its curator sees (black would turn transparent line art into a black
 *     square); the choice is fixed so that the same file always gives the same embedding;
 *  3. convert to 8-bit sRGB RGB (CMYK with its ICC profile, greyscale, 16-bit and palette images alike);
 *  4. resize to S×S with the manifest's fit (`cover`: scale the short side to S, centre crop);
 *  5. scale to [0,1], normalise with the manifest's mean/std, and lay out as planar NCHW float32.
 * `limitInputPixels` and a per-image timeout guard against decompression bombs and pathological files.
 */
import sharp from 'sharp';
import { ImageDecodeError } from './errors.ts';
import type { ImageSpec } from './manifest.ts';

export interface ImageToTensorOptions {
  /** Refuse images with more pixels than this (width × height). Default: sharp's 268,402,689. */
  limitInputPixels?: number;
  /** Abort libvips work on one image after this many seconds. Default: no limit. */
  timeoutSeconds?: number;
}

const KERNELS = ['nearest', 'linear', 'cubic', 'mitchell', 'lanczos2', 'lanczos3', 'mks2013', 'mks2021'] as const;
type Kernel = (typeof KERNELS)[number];

function kernelOf(spec: ImageSpec): Kernel {
  const head = spec.kernel?.trim().split(/[\s(,]/)[0]?.toLowerCase();
  return (KERNELS as readonly string[]).includes(head ?? '') ? (head as Kernel) : 'lanczos3';
}

/** The decoded, oriented, flattened, resized RGB bytes (HWC, 8-bit) of one image. */
export async function decodeToRgb(
  input: Buffer | string,
  size: number,
  fit: ImageSpec['resize'] = 'cover',
  options: ImageToTensorOptions & { kernel?: Kernel } = {},
): Promise<Buffer> {
  const name = typeof input === 'string' ? input : `<buffer of ${input.length} bytes>`;
  try {
    let pipeline = sharp(input, {
      limitInputPixels: options.limitInputPixels ?? true,
      failOn: 'error',
      sequentialRead: true,
    })
      .autoOrient()
      .flatten({ background: { r: 255, g: 255, b: 255 } })
      .resize(size, size, { fit, position: 'centre', kernel: options.kernel ?? 'lanczos3', background: { r: 255, g: 255, b: 255 } })
      .toColourspace('srgb')
      .removeAlpha();
    if (options.timeoutSeconds !== undefined) pipeline = pipeline.timeout({ seconds: Math.max(1, Math.ceil(options.timeoutSeconds)) });
    const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.width !== size || info.height !== size || info.channels !== 3 || data.length !== size * size * 3) {
      throw new Error(`unexpected decoded shape ${info.width}x${info.height}x${info.channels}`);
    }
    return data;
  } catch (error) {
    if (error instanceof ImageDecodeError) throw error;
    throw new ImageDecodeError(`Cannot decode image ${name}: ${(error as Error).message}`, { cause: error });
  }
}

/** HWC 8-bit RGB → normalised NCHW float32 (one image, 3·S·S values). */
export function rgbToTensor(rgb: Uint8Array, spec: Pick<ImageSpec, 'size' | 'mean' | 'std'>, out?: Float32Array): Float32Array {
  const plane = spec.size * spec.size;
  const tensor = out ?? new Float32Array(3 * plane);
  if (rgb.length !== 3 * plane || tensor.length !== 3 * plane) throw new RangeError('rgbToTensor: size mismatch');
  for (let c = 0; c < 3; c++) {
    // Same arithmetic as the Python reference ((v/255 − mean)/std), in float64 then rounded to float32.
    const mean = spec.mean[c]!;
    const std = spec.std[c]!;
    const base = c * plane;
    for (let i = 0; i < plane; i++) tensor[base + i] = (rgb[i * 3 + c]! / 255 - mean) / std;
  }
  return tensor;
}

/**
 * One image file or buffer → the image encoder's input: normalised NCHW float32 of 3·S·S values.
 * Throws `ImageDecodeError` for anything sharp cannot read (corrupt, too many pixels, timeout).
 */
export async function imageToTensor(input: Buffer | string, spec: ImageSpec, options: ImageToTensorOptions = {}): Promise<Float32Array> {
  const rgb = await decodeToRgb(input, spec.size, spec.resize, { ...options, kernel: kernelOf(spec) });
  return rgbToTensor(rgb, spec);
}

/**
 * A generated CHW float32 image (values in `range`, default [-1,1]; clipped) → an 8-bit sRGB PNG.
 * Pixel = round((clip(v) − lo)/(hi − lo) · 255).
 */
export async function tensorToPng(chw: Float32Array, size: number, range: readonly [number, number] = [-1, 1]): Promise<Buffer> {
  const plane = size * size;
  if (chw.length !== 3 * plane) throw new RangeError(`tensorToPng: expected ${3 * plane} values for ${size}x${size}x3, got ${chw.length}`);
  const [lo, hi] = range;
  const scale = 255 / (hi - lo);
  const rgb = Buffer.alloc(3 * plane);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < plane; i++) {
      const v = Math.min(hi, Math.max(lo, chw[c * plane + i]!));
      rgb[i * 3 + c] = Math.round((v - lo) * scale);
    }
  }
  return sharp(rgb, { raw: { width: size, height: size, channels: 3 } }).png().toBuffer();
}
