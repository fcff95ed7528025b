/**
 * The real type of a file, from its bytes (never from its name), and cheap structural checks that catch
 * truncated JPEG and PNG files before they reach the decoder (libvips decodes a truncated JPEG with a grey
 * fill and only a warning; we would rather quarantine it).
 */

export type ImageFormat = 'jpeg' | 'png' | 'gif' | 'webp' | 'tiff' | 'avif' | 'heif';

/** File extensions that are considered candidate images (lower case, without the dot). */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set([
  'jpg', 'jpeg', 'jpe', 'jfif', 'png', 'gif', 'webp', 'tif', 'tiff', 'avif', 'heic', 'heif', 'bmp', 'svg',
]);

export type Sniffed = { readonly ok: true; readonly format: ImageFormat } | { readonly ok: false; readonly reason: string };

function ascii(bytes: Buffer, start: number, length: number): string {
  return bytes.toString('latin1', start, Math.min(bytes.length, start + length));
}

/** Identifies the image format from the magic bytes; explains what the file looks like otherwise. */
export function sniffFormat(bytes: Buffer): Sniffed {
  if (bytes.length === 0) return { ok: false, reason: 'empty file (0 bytes)' };
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return { ok: true, format: 'jpeg' };
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return { ok: true, format: 'png' };
  const head6 = ascii(bytes, 0, 6);
  if (head6 === 'GIF87a' || head6 === 'GIF89a') return { ok: true, format: 'gif' };
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return { ok: true, format: 'webp' };
  const head4 = bytes.subarray(0, 4);
  if (head4.equals(TIFF_LE) || head4.equals(TIFF_BE) || head4.equals(BIGTIFF_LE) || head4.equals(BIGTIFF_BE)) return { ok: true, format: 'tiff' };
  if (ascii(bytes, 4, 4) === 'ftyp') {
    const brand = ascii(bytes, 8, 4);
    if (brand === 'avif' || brand === 'avis') return { ok: true, format: 'avif' };
    if (['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1'].includes(brand)) return { ok: true, format: 'heif' };
    return { ok: false, reason: `not a supported image: an ISO media file of brand "${printable(brand)}" (a video or another container)` };
  }
  if (ascii(bytes, 0, 2) === 'BM') return { ok: false, reason: 'BMP images are not supported; convert it to PNG to include it' };
  const start = ascii(bytes, 0, 512).trimStart().toLowerCase();
  if (start.startsWith('<svg') || (start.startsWith('<?xml') && start.includes('<svg'))) {
    return { ok: false, reason: 'SVG vector drawings are not indexed (only raster images are)' };
  }
  if (bytes.length >= 4 && ascii(bytes, 0, 4) === '%PDF') return { ok: false, reason: 'not an image: the file is a PDF document' };
  if (looksLikeText(bytes)) return { ok: false, reason: 'not an image: the file contains text, whatever its name says' };
  return { ok: false, reason: 'not an image: the content matches no supported format (JPEG, PNG, WebP, AVIF, GIF, TIFF, HEIF)' };
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const TIFF_LE = Buffer.from([0x49, 0x49, 0x2a, 0x00]);
const TIFF_BE = Buffer.from([0x4d, 0x4d, 0x00, 0x2a]);
const BIGTIFF_LE = Buffer.from([0x49, 0x49, 0x2b, 0x00]);
const BIGTIFF_BE = Buffer.from([0x4d, 0x4d, 0x00, 0x2b]);

function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}

function looksLikeText(bytes: Buffer): boolean {
  const sample = bytes.subarray(0, 1024);
  let control = 0;
  for (const byte of sample) {
    if (byte === 0) return false;
    if (byte < 0x09 || (byte > 0x0d && byte < 0x20)) control++;
  }
  return control <= sample.length / 100;
}

/**
 * Structural check of the container; undefined when the file is whole, otherwise a reason. Only JPEG and PNG
 * are walked (the formats where a truncated file would otherwise decode silently); others rely on the decoder.
 */
export function checkStructure(bytes: Buffer, format: ImageFormat): string | undefined {
  if (format === 'png') return checkPng(bytes);
  if (format === 'jpeg') return checkJpeg(bytes);
  return undefined;
}

function checkPng(bytes: Buffer): string | undefined {
  let offset = 8;
  let sawIdat = false;
  while (offset + 8 <= bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const type = ascii(bytes, offset + 4, 4);
    const end = offset + 12 + length;
    if (length > 0x7fffffff || end > bytes.length) return `truncated PNG: the file ends inside its "${printable(type)}" chunk (${bytes.length} bytes)`;
    if (type === 'IDAT') sawIdat = true;
    if (type === 'IEND') return sawIdat ? undefined : 'damaged PNG: it has no image data (IDAT)';
    offset = end;
  }
  return `truncated PNG: the file ends after ${bytes.length} bytes without the end-of-image chunk (IEND)`;
}

function checkJpeg(bytes: Buffer): string | undefined {
  let offset = 2;
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) return `damaged JPEG: expected a marker at byte ${offset}`;
    const marker = bytes[offset + 1]!;
    if (marker === 0xff) {
      offset += 1; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      offset += 2;
      continue;
    }
    if (marker === 0xd9) return 'damaged JPEG: it ends before any image data';
    const length = bytes.readUInt16BE(offset + 2);
    if (length < 2) return `damaged JPEG: a segment at byte ${offset} has an impossible length`;
    if (marker === 0xda) {
      // Entropy-coded data follows; a whole file has an end-of-image marker after it (0xFF bytes in the data
      // are stuffed, so FF D9 can only be a marker).
      const eoi = bytes.indexOf(EOI, offset + 2 + length);
      return eoi >= 0 ? undefined : `truncated JPEG: the file ends after ${bytes.length} bytes, inside the image data (no end-of-image marker)`;
    }
    offset += 2 + length;
  }
  return `truncated JPEG: the file ends after ${bytes.length} bytes, before the image data`;
}

const EOI = Buffer.from([0xff, 0xd9]);
