/**
 * Inserts text chunks into a PNG (ISO/IEC 15948 §11.3.4): a Latin-1 `tEXt` chunk under the keyword
 * `parameters` (the AUTOMATIC1111 convention that image tools read) and a UTF-8 `iTXt` chunk carrying JSON.
 * sharp writes pixels but not arbitrary text chunks, and the splice is small and fully specified: chunks go
 * right before IEND, each framed as length · type · data · CRC-32(type · data).
 */
import { crc32 } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

function keyword(name: string): Buffer {
  if (!/^[\x20-\x7e]{1,79}$/.test(name) || name.startsWith(' ') || name.endsWith(' ')) throw new RangeError(`invalid PNG keyword "${name}"`);
  return Buffer.from(name, 'latin1');
}

/** tEXt: keyword NUL Latin-1 text (characters outside Latin-1 are replaced by '?'). */
export function textChunk(name: string, text: string): Buffer {
  // Printable Latin-1 plus tab and newline; anything else becomes '?'.
  const latin1 = Array.from(text, (c) => {
    const code = c.codePointAt(0)!;
    return code === 9 || code === 10 || (code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff) ? c : '?';
  }).join('');
  return chunk('tEXt', Buffer.concat([keyword(name), Buffer.from([0]), Buffer.from(latin1, 'latin1')]));
}

/** iTXt: keyword NUL flag(0 = uncompressed) method(0) language NUL translated NUL UTF-8 text. */
export function internationalTextChunk(name: string, text: string): Buffer {
  return chunk('iTXt', Buffer.concat([keyword(name), Buffer.from([0, 0, 0, 0, 0]), Buffer.from(text, 'utf8')]));
}

export function insertChunksBeforeEnd(png: Buffer, chunks: readonly Buffer[]): Buffer {
  if (png.length < 20 || !png.subarray(0, 8).equals(SIGNATURE)) throw new RangeError('not a PNG file');
  const iendAt = png.length - 12;
  if (png.toString('latin1', iendAt + 4, iendAt + 8) !== 'IEND') throw new RangeError('PNG does not end with IEND');
  return Buffer.concat([png.subarray(0, iendAt), ...chunks, png.subarray(iendAt)]);
}

/** Reads every tEXt and iTXt chunk back (used by tests and by `dprdm` to show an exported image's provenance). */
export function readTextChunks(png: Buffer): Map<string, string> {
  const found = new Map<string, string>();
  let at = 8;
  while (at + 12 <= png.length) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    if (type === 'tEXt') {
      const nul = data.indexOf(0);
      found.set(data.toString('latin1', 0, nul), data.toString('latin1', nul + 1));
    } else if (type === 'iTXt') {
      const nul = data.indexOf(0);
      let p = nul + 3; // flag, method
      p = data.indexOf(0, p) + 1; // language tag
      p = data.indexOf(0, p) + 1; // translated keyword
      found.set(data.toString('latin1', 0, nul), data.toString('utf8', p));
    }
    at += 12 + length;
  }
  return found;
}
