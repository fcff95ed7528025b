/**
 * Builds the hostile-file corpus: every way a private folder can hurt an indexer, next to a few good images.
 * `expected` says what must become of each candidate path (indexed, or quarantined with a reason matching).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDeflate, crc32 } from 'node:zlib';
import sharp, { type Sharp } from 'sharp';

export type Expectation = { status: 'indexed' } | { status: 'quarantined'; reason: RegExp };

export interface HostileCorpus {
  readonly root: string;
  readonly outside: string;
  /** Relative path → what it must end as. Files in excluded folders are absent (never recorded). */
  readonly expected: Map<string, Expectation>;
  /** Files the test hooks act on. */
  readonly vanishing: string;
  readonly changingBeforeRead: string;
  readonly changingDuringRead: string;
  readonly unreadable: string;
}

export async function colourImage(r: number, g: number, b: number, size = 48, label = 0): Promise<Sharp> {
  const raw = Buffer.alloc(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 3;
      const inside = Math.abs(x - size / 2) + Math.abs(y - size / 2) < size / 3 + (label % 5);
      raw[i] = inside ? 255 - r : r;
      raw[i + 1] = inside ? (g + 90 + label * 7) % 256 : g;
      raw[i + 2] = inside ? b / 2 : b;
    }
  }
  return sharp(raw, { raw: { width: size, height: size, channels: 3 } });
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, 'latin1'), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

function ihdr(width: number, height: number, depth = 8, colourType = 0): Buffer {
  const data = Buffer.alloc(13);
  data.writeUInt32BE(width, 0);
  data.writeUInt32BE(height, 4);
  data[8] = depth;
  data[9] = colourType;
  return data;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A greyscale PNG of zero pixels whose IDAT is deflated by streaming (never the whole raw image in memory). */
export async function zeroPng(width: number, height: number): Promise<Buffer> {
  const deflate = createDeflate({ level: 9 });
  const parts: Buffer[] = [];
  deflate.on('data', (d: Buffer) => parts.push(d));
  const done = new Promise<void>((resolve, reject) => {
    deflate.on('end', resolve);
    deflate.on('error', reject);
  });
  const row = Buffer.alloc(width + 1); // filter byte 0 + width grey samples
  const rowsPerChunk = Math.max(1, Math.floor((1 << 20) / row.length));
  const block = Buffer.alloc(row.length * rowsPerChunk);
  for (let y = 0; y < height; y += rowsPerChunk) {
    const n = Math.min(rowsPerChunk, height - y);
    if (!deflate.write(block.subarray(0, n * row.length))) await new Promise((r) => deflate.once('drain', r));
  }
  deflate.end();
  await done;
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr(width, height)), chunk('IDAT', Buffer.concat(parts)), chunk('IEND', Buffer.alloc(0))]);
}

export async function buildHostileCorpus(root: string, outside: string): Promise<HostileCorpus> {
  const expected = new Map<string, Expectation>();
  const ok = (p: string) => expected.set(p, { status: 'indexed' });
  const bad = (p: string, reason: RegExp) => expected.set(p, { status: 'quarantined', reason });
  const write = (p: string, data: Buffer | string) => writeFileSync(join(root, p), data);
  mkdirSync(join(root, 'sub', 'deeper'), { recursive: true });

  const png = await (await colourImage(200, 30, 40)).png().toBuffer();
  const jpeg = await (await colourImage(20, 160, 90, 64, 1)).jpeg({ quality: 90 }).toBuffer();
  write('good.png', png);
  ok('good.png');
  write('sub/good.jpg', jpeg);
  ok('sub/good.jpg');
  write('sub/deeper/copy of good.png', png); // exact duplicate: indexed, collapses to one member
  ok('sub/deeper/copy of good.png');
  write('png-named.jpg', await (await colourImage(10, 10, 220, 40, 2)).png().toBuffer());
  ok('png-named.jpg');
  write('photo.webp', await (await colourImage(90, 90, 20, 40, 3)).webp().toBuffer());
  ok('photo.webp');
  write('scan.tiff', await (await colourImage(140, 40, 140, 40, 4)).tiff().toBuffer());
  ok('scan.tiff');
  write('modern.avif', await (await colourImage(60, 200, 200, 40, 5)).avif({ effort: 0 }).toBuffer());
  ok('modern.avif');
  write('cmyk.jpg', await (await colourImage(250, 120, 10, 40, 6)).toColourspace('cmyk').jpeg().toBuffer());
  ok('cmyk.jpg');
  write('deep-16bit.png', await (await colourImage(30, 60, 250, 40, 7)).toColourspace('rgb16').png().toBuffer());
  ok('deep-16bit.png');
  write('grey-alpha.png', await (await colourImage(128, 128, 128, 40, 8)).greyscale().ensureAlpha(0.5).png().toBuffer());
  ok('grey-alpha.png');

  // truncated, empty, lying about their type
  write('truncated.jpg', jpeg.subarray(0, Math.floor(jpeg.length / 2)));
  bad('truncated.jpg', /truncated JPEG/);
  write('truncated.png', png.subarray(0, Math.floor(png.length / 2)));
  bad('truncated.png', /truncated PNG/);
  write('empty.jpg', Buffer.alloc(0));
  bad('empty.jpg', /empty file/);
  write('notes.jpg', 'These are my notes, not a photo.\nSecond line.\n');
  bad('notes.jpg', /not an image.*text/);
  write('garbage.png', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251)));
  bad('garbage.png', /not an image/);
  write('drawing.svg', '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>');
  bad('drawing.svg', /SVG/);

  // lies about size, bombs, many frames
  write('claims-100000x100000.png', Buffer.concat([SIGNATURE, chunk('IHDR', ihdr(100000, 100000)), chunk('IDAT', Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])), chunk('IEND', Buffer.alloc(0))]));
  bad('claims-100000x100000.png', /image too large: 100000×100000 pixels/);
  write('bomb-12000x12000.png', await zeroPng(12000, 12000)); // 144 MP of zeros in ~140 KB
  bad('bomb-12000x12000.png', /image too large: 12000×12000/);
  write('zeros-5000x5000.png', await zeroPng(5000, 5000)); // 25 MP, a thousandfold compression, under the limit: decodes
  ok('zeros-5000x5000.png');
  const frames = 300;
  const frameSize = 24;
  const anim = Buffer.alloc(frameSize * frameSize * frames * 3);
  for (let i = 0; i < anim.length; i++) anim[i] = (i * 31 + Math.floor(i / (frameSize * frameSize * 3)) * 17) % 256;
  write('animated-300-frames.gif', await sharp(anim, { raw: { width: frameSize, height: frameSize * frames, channels: 3, pageHeight: frameSize } }).gif().toBuffer());
  ok('animated-300-frames.gif');

  // links
  const outsideImage = join(outside, 'secret.png');
  writeFileSync(outsideImage, await (await colourImage(1, 2, 3, 32, 9)).png().toBuffer());
  symlinkSync(outsideImage, join(root, 'link-to-outside.png'));
  bad('link-to-outside.png', /outside the folder/);
  symlinkSync(outside, join(root, 'linked-outside-folder.png'));
  bad('linked-outside-folder.png', /outside the folder/);
  symlinkSync(join(root, 'loop-b.jpg'), join(root, 'loop-a.jpg'));
  symlinkSync(join(root, 'loop-a.jpg'), join(root, 'loop-b.jpg'));
  bad('loop-a.jpg', /loop/);
  bad('loop-b.jpg', /loop/);
  symlinkSync('self.png', join(root, 'self.png'));
  bad('self.png', /loop/);
  symlinkSync(join(root, 'nowhere.png'), join(root, 'dangling.png'));
  bad('dangling.png', /broken symbolic link/);
  symlinkSync('good.png', join(root, 'alias-inside.png')); // inside the folder: followed, a duplicate of good.png
  ok('alias-inside.png');
  symlinkSync(join(root, 'sub'), join(root, 'sub-link.jpg'));
  bad('sub-link.jpg', /link to a folder/);
  symlinkSync(join(root, 'sub'), join(root, 'sub', 'deeper', 'back-up')); // a folder link (a loop): reported, never followed
  bad('sub/deeper/back-up', /link to a folder/);

  // not a regular file
  execFileSync('mkfifo', [join(root, 'pipe.jpg')]);
  bad('pipe.jpg', /named pipe/);

  // names
  const unicode = 'ünïcødé 画像 🖼️ é.png';
  write(unicode, await (await colourImage(70, 0, 70, 40, 10)).png().toBuffer());
  ok(unicode);
  const long = `${'very-long-name-'.repeat(16)}${'x'.repeat(240 - 16 * 15)}.png`;
  write(long, await (await colourImage(0, 70, 70, 40, 11)).png().toBuffer());
  ok(long);
  write('line\nbreak.png', await (await colourImage(70, 70, 0, 40, 12)).png().toBuffer());
  ok('line\nbreak.png');
  write('-dash.png', await (await colourImage(33, 66, 99, 40, 13)).png().toBuffer());
  ok('-dash.png');

  // changing under our feet (the test hooks do the damage)
  write('vanishing.png', await (await colourImage(5, 5, 5, 40, 14)).png().toBuffer());
  bad('vanishing.png', /disappeared/);
  write('changes-before-read.png', await (await colourImage(15, 15, 15, 40, 15)).png().toBuffer());
  ok('changes-before-read.png');
  write('changes-during-read.png', await (await colourImage(25, 25, 25, 40, 16)).png().toBuffer());
  bad('changes-during-read.png', /changed while it was being read/);
  write('unreadable.png', await (await colourImage(35, 35, 35, 40, 17)).png().toBuffer());
  bad('unreadable.png', /permission denied/);

  // excluded folders and non-image files: never recorded
  for (const dir of ['.git', 'node_modules', '@eaDir', '.hidden', 'Thumbnails']) {
    mkdirSync(join(root, dir), { recursive: true });
    writeFileSync(join(root, dir, 'inside.png'), png);
  }
  write('.DS_Store', 'mac');
  write('README.txt', 'not an image, not a candidate');
  write('sub/sidecar.xmp', '<x/>');

  return {
    root,
    outside,
    expected,
    vanishing: 'vanishing.png',
    changingBeforeRead: 'changes-before-read.png',
    changingDuringRead: 'changes-during-read.png',
    unreadable: 'unreadable.png',
  };
}
