// Image preprocessing: orientation, bit depth, colour models and alpha all end up as the same tensor as the
// upright 8-bit sRGB twin; bad input fails with ImageDecodeError. Test images are generated with sharp here.
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { ImageDecodeError, type ImageSpec, imageToTensor, readManifest, tensorToPng } from '../../../core/models/index.ts';
import { MODEL_SET_DIR, cosine, maxAbsDiff } from './golden-fixtures.ts';

let spec: ImageSpec;
/**
 * An asymmetric, non-square upright image (so a wrong rotation or crop changes the tensor a lot), in moderate
 * colours that CMYK can represent.
 */
let upright: Buffer;
let uprightTensor: Float32Array;
const W = 72;
const H = 48;

beforeAll(async () => {
  spec = (await readManifest(MODEL_SET_DIR)).image;
  const rgb = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = (y * W + x) * 3;
      const block = x > W / 2 && x < W / 2 + 16 && y < 20;
      rgb[i] = block ? 200 : 40 + Math.round((x / W) * 160);
      rgb[i + 1] = block ? 70 : 50 + Math.round((y / H) * 150);
      rgb[i + 2] = block ? 80 : 90 + ((x + y) % 7) * 10;
    }
  }
  upright = await sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).png().toBuffer();
  uprightTensor = await imageToTensor(upright, spec);
});

describe('imageToTensor', () => {
  it('gives 3·S·S normalised NCHW values', async () => {
    expect(uprightTensor.length).toBe(3 * spec.size * spec.size);
    const min = Math.min(...uprightTensor);
    const max = Math.max(...uprightTensor);
    expect(min).toBeGreaterThanOrEqual((0 - spec.mean[0]) / spec.std[0] - 1e-6);
    expect(max).toBeLessThanOrEqual((1 - spec.mean[0]) / spec.std[0] + 1e-6);
  });

  // Stored pixels rotated so that EXIF orientation `o` turns them back upright.
  const stored: [orientation: number, undo: (s: Sharp) => Sharp][] = [
    [3, (s) => s.rotate(180)],
    [6, (s) => s.rotate(270)],
    [8, (s) => s.rotate(90)],
    [2, (s) => s.flop()],
  ];
  for (const [orientation, undo] of stored) {
    it(`honours EXIF orientation ${orientation} in JPEG and PNG`, async () => {
      const pixels = await undo(sharp(upright)).png().toBuffer();
      const jpeg = await sharp(pixels).withMetadata({ orientation }).jpeg({ quality: 98, chromaSubsampling: '4:4:4' }).toBuffer();
      const png = await sharp(pixels).withMetadata({ orientation }).png().toBuffer();
      expect((await sharp(jpeg).metadata()).orientation).toBe(orientation);
      expect(cosine(await imageToTensor(jpeg, spec), uprightTensor)).toBeGreaterThanOrEqual(0.99);
      expect((await sharp(png).metadata()).orientation).toBe(orientation);
      expect(cosine(await imageToTensor(png, spec), uprightTensor)).toBeGreaterThanOrEqual(0.99);
      // and ignoring the tag would have been visibly wrong
      expect(cosine(await imageToTensor(pixels, spec), uprightTensor)).toBeLessThan(0.99);
    });
  }

  it('reads a 16-bit PNG like its 8-bit twin', async () => {
    const png16 = await sharp(upright).toColourspace('rgb16').png().toBuffer();
    expect((await sharp(png16).metadata()).depth).toBe('ushort');
    const t = await imageToTensor(png16, spec);
    expect(cosine(t, uprightTensor)).toBeGreaterThanOrEqual(0.99);
    expect(maxAbsDiff(t, uprightTensor)).toBeLessThanOrEqual(2 / 255 / spec.std[0]);
  });

  it('turns greyscale into three equal channels and CMYK into sRGB', async () => {
    const grey = await imageToTensor(await sharp(upright).greyscale().png().toBuffer(), spec);
    const plane = spec.size * spec.size;
    expect(maxAbsDiff(grey.subarray(0, plane), grey.subarray(plane, 2 * plane))).toBe(0);
    const cmyk = await sharp(upright).toColourspace('cmyk').tiff().toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    // CMYK → sRGB goes through colour profiles and is not an exact inverse of sRGB → CMYK: close, not equal.
    const fromCmyk = await imageToTensor(cmyk, spec);
    const meanAbs = fromCmyk.reduce((sum, v, i) => sum + Math.abs(v - uprightTensor[i]!), 0) / fromCmyk.length;
    expect(cosine(fromCmyk, uprightTensor)).toBeGreaterThanOrEqual(0.97);
    expect(meanAbs).toBeLessThan(0.08); // about 10/255 on average
  });

  it('flattens transparency onto white', async () => {
    const clear = await sharp({ create: { width: 40, height: 40, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer();
    const t = await imageToTensor(clear, spec);
    const white = (1 - spec.mean[0]) / spec.std[0];
    expect(maxAbsDiff(t, new Float32Array(t.length).fill(white))).toBeLessThan(1e-6);
  });

  it('crops to cover: a wide image keeps its centre', async () => {
    const wide = await sharp({ create: { width: 96, height: 32, channels: 3, background: '#ff0000' } })
      .composite([{ input: { create: { width: 32, height: 32, channels: 3, background: '#00ff00' } }, left: 32, top: 0 }])
      .png()
      .toBuffer();
    const t = await imageToTensor(wide, spec);
    const green = (1 - spec.mean[1]) / spec.std[1];
    const plane = spec.size * spec.size;
    expect(Math.min(...t.subarray(plane, 2 * plane))).toBeGreaterThan(green - 0.05);
  });

  it('fails with ImageDecodeError on corrupt data, too many pixels, or a missing file', async () => {
    await expect(imageToTensor(Buffer.from('not an image'), spec)).rejects.toBeInstanceOf(ImageDecodeError);
    await expect(imageToTensor(upright, spec, { limitInputPixels: 100 })).rejects.toThrow(/pixel limit|exceeds/i);
    await expect(imageToTensor(join(MODEL_SET_DIR, 'no-such.png'), spec, { timeoutSeconds: 5 })).rejects.toBeInstanceOf(ImageDecodeError);
  });
});

describe('tensorToPng', () => {
  it('maps [-1,1] to 0..255, clipping, and round-trips through imageToTensor', async () => {
    const S = spec.size;
    const chw = new Float32Array(3 * S * S);
    for (let i = 0; i < chw.length; i++) chw[i] = Math.sin(i * 0.37) * 1.2; // some values beyond ±1
    const png = await tensorToPng(chw, S);
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(['png', S, S, 3]);
    const back = await imageToTensor(png, { ...spec, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
    const clipped = chw.map((v) => Math.max(-1, Math.min(1, v)));
    expect(maxAbsDiff(back, clipped)).toBeLessThanOrEqual(1 / 255 + 1e-6);
    await expect(tensorToPng(chw.subarray(1), S)).rejects.toThrow(RangeError);
  });
});
