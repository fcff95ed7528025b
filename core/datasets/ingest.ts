/**
 * One file, read once: open without following links, read the bytes, hash them (sha256 = the image's identity
 * in the ledger), check the real type and structure, then decode those very bytes with sharp under limits.
 * Every failure becomes a human-readable reason; nothing here throws for a bad file.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import sharp from 'sharp';
import { imageToTensor, type ImageSpec } from '../models/index.ts';
import type { ScannedFile } from './scan.ts';
import { checkStructure, sniffFormat, type ImageFormat } from './sniff.ts';

export interface DecodeLimits {
  /** Largest file read, in bytes (default 256 MiB). */
  readonly maxFileBytes: number;
  /** Largest decoded image, width × height (default 40 MP). */
  readonly maxPixels: number;
  /** Time limit of one decode, in seconds (default 20). */
  readonly timeoutSeconds: number;
}

export const DEFAULT_LIMITS: DecodeLimits = Object.freeze({ maxFileBytes: 256 * 1024 * 1024, maxPixels: 40_000_000, timeoutSeconds: 20 });

/** The stats of the version of the file that was actually read (not the scan's, which may be older). */
export interface ReadStats {
  readonly size: number;
  readonly mtimeNs: string;
  readonly ino: string;
}

export type ReadResult =
  | { readonly ok: true; readonly bytes: Buffer; readonly sha256: string; readonly stats: ReadStats; readonly hashMs: number }
  | { readonly ok: false; readonly reason: string; readonly transient: boolean; readonly stats?: ReadStats };

export interface IngestHooks {
  /** Called just before a file is opened (tests: change, remove or fail the file mid-scan). */
  beforeRead?(path: string): void | Promise<void>;
  /** Called after the file was opened and measured, before its bytes are read (tests: change it mid-read). */
  afterOpen?(path: string): void | Promise<void>;
}

const NOFOLLOW = constants.O_NOFOLLOW ?? 0;

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MiB`;
}

export function readFailureReason(error: unknown): { reason: string; transient: boolean } {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return { reason: 'the file disappeared before it could be read', transient: true };
    case 'EACCES':
    case 'EPERM':
      return { reason: 'the file cannot be read: permission denied', transient: true };
    case 'ELOOP':
      return { reason: 'the file was replaced by a symbolic link; it is not followed', transient: true };
    case 'EISDIR':
      return { reason: 'the file was replaced by a folder during the scan', transient: true };
    case 'EIO':
      return { reason: 'the file cannot be read: input/output error', transient: true };
    default:
      return { reason: `the file cannot be read: ${code ?? (error as Error).message}`, transient: true };
  }
}

/** Reads the whole file once through one descriptor; detects a file that changes while it is read. */
export async function readOnce(file: ScannedFile, limits: DecodeLimits, hooks?: IngestHooks): Promise<ReadResult> {
  let handle;
  try {
    await hooks?.beforeRead?.(file.path);
    handle = await open(file.absolute, constants.O_RDONLY | NOFOLLOW);
  } catch (error) {
    return { ok: false, ...readFailureReason(error) };
  }
  try {
    const before = await handle.stat({ bigint: true });
    const stats: ReadStats = { size: Number(before.size), mtimeNs: before.mtimeNs.toString(), ino: before.ino.toString() };
    if (!before.isFile()) return { ok: false, reason: 'not a regular file', transient: false, stats };
    if (stats.size === 0) return { ok: false, reason: 'empty file (0 bytes)', transient: false, stats };
    if (stats.size > limits.maxFileBytes) {
      return { ok: false, reason: `file too large: ${mib(stats.size)} exceeds the ${mib(limits.maxFileBytes)} limit`, transient: false, stats };
    }
    await hooks?.afterOpen?.(file.path);
    const bytes = Buffer.allocUnsafe(stats.size);
    let filled = 0;
    while (filled < bytes.length) {
      const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    const probe = Buffer.alloc(1);
    const extra = filled === bytes.length ? (await handle.read(probe, 0, 1, filled)).bytesRead : 0;
    const after = await handle.stat({ bigint: true });
    if (filled !== bytes.length || extra !== 0 || after.size !== before.size || after.mtimeNs !== before.mtimeNs) {
      return { ok: false, reason: 'the file changed while it was being read; it will be read again at the next sync', transient: true, stats };
    }
    const hashStarted = performance.now();
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    return { ok: true, bytes, sha256, stats, hashMs: performance.now() - hashStarted };
  } catch (error) {
    return { ok: false, ...readFailureReason(error) };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

export type DecodeResult =
  | { readonly ok: true; readonly tensor: Float32Array; readonly format: ImageFormat; readonly width: number; readonly height: number }
  | { readonly ok: false; readonly reason: string; readonly format?: ImageFormat };

const FORMAT_NAMES: Record<ImageFormat, string> = { jpeg: 'JPEG', png: 'PNG', gif: 'GIF', webp: 'WebP', tiff: 'TIFF', avif: 'AVIF', heif: 'HEIF/HEIC' };

function megapixels(pixels: number): string {
  const mp = pixels / 1e6;
  return mp >= 100 ? mp.toFixed(0) : mp.toPrecision(3);
}

/** Cleans a libvips/sharp message for a curator: first line, no buffer dumps, bounded length. */
function decoderMessage(error: unknown): string {
  const text = (error instanceof Error ? error.message : String(error)).replace(/^Cannot decode image <buffer of \d+ bytes>:\s*/, '');
  const line = text.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? 'unknown error';
  return line.length > 200 ? `${line.slice(0, 197)}…` : line;
}

/** Sniffs, checks the structure and the header's dimensions, then decodes the same bytes into the encoder's input. */
export async function decodeImage(bytes: Buffer, spec: ImageSpec, limits: DecodeLimits): Promise<DecodeResult> {
  const sniffed = sniffFormat(bytes);
  if (!sniffed.ok) return { ok: false, reason: sniffed.reason };
  const format = sniffed.format;
  const name = FORMAT_NAMES[format];
  const structural = checkStructure(bytes, format);
  if (structural !== undefined) return { ok: false, reason: structural, format };
  let width: number;
  let height: number;
  try {
    const meta = await sharp(bytes, { limitInputPixels: false, failOn: 'none' }).metadata();
    width = meta.width ?? 0;
    height = meta.pageHeight ?? meta.height ?? 0;
  } catch (error) {
    const detail = decoderMessage(error);
    if (format === 'heif' && /compression format|heif|hevc|unsupported/i.test(detail)) {
      return { ok: false, reason: `HEIF/HEIC images cannot be decoded on this platform (${detail}); convert it to JPEG to include it`, format };
    }
    return { ok: false, reason: `damaged ${name}: its header cannot be read (${detail})`, format };
  }
  if (!(width > 0 && height > 0)) return { ok: false, reason: `damaged ${name}: it declares no image size`, format };
  const pixels = width * height;
  if (pixels > limits.maxPixels) {
    return {
      ok: false,
      reason: `image too large: ${width}×${height} pixels (${megapixels(pixels)} MP) exceeds the ${megapixels(limits.maxPixels)} MP limit (a decompression bomb, or a scan too large to index)`,
      format,
    };
  }
  try {
    const tensor = await imageToTensor(bytes, spec, { limitInputPixels: limits.maxPixels, timeoutSeconds: limits.timeoutSeconds });
    for (let i = 0; i < tensor.length; i++) {
      if (!Number.isFinite(tensor[i]!)) return { ok: false, reason: `${name} decoded to invalid pixel values`, format };
    }
    return { ok: true, tensor, format, width, height };
  } catch (error) {
    const detail = decoderMessage(error);
    if (/timeout/i.test(detail)) return { ok: false, reason: `decoding took longer than ${limits.timeoutSeconds} s and was stopped`, format };
    if (/pixel limit/i.test(detail)) return { ok: false, reason: `image too large: it exceeds the ${megapixels(limits.maxPixels)} MP limit`, format };
    if (format === 'heif') return { ok: false, reason: `HEIF/HEIC image cannot be decoded on this platform (${detail}); convert it to JPEG to include it`, format };
    return { ok: false, reason: `damaged or unsupported ${name}: ${detail}`, format };
  }
}
