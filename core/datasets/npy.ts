/**
 * Reads a NumPy `.npy` file holding a 2-D float32 matrix (version 1, 2 or 3; little- or big-endian '<f4'/'>f4';
 * C order). Everything else is refused with a message that says what was found.
 */
import { DatasetInputError } from './errors.ts';

export interface NpyMatrix {
  readonly data: Float32Array;
  readonly rows: number;
  readonly cols: number;
}

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

export function parseNpy(bytes: Buffer, source = '.npy file'): NpyMatrix {
  if (bytes.length < 10 || !bytes.subarray(0, 6).equals(MAGIC)) throw new DatasetInputError(`${source} is not a NumPy .npy file (bad magic bytes)`);
  const major = bytes[6]!;
  let headerLength: number;
  let headerStart: number;
  if (major === 1) {
    headerLength = bytes.readUInt16LE(8);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new DatasetInputError(`${source} is truncated`);
    headerLength = bytes.readUInt32LE(8);
    headerStart = 12;
  } else {
    throw new DatasetInputError(`${source} has .npy format version ${major}, which is not supported`);
  }
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.length) throw new DatasetInputError(`${source} is truncated inside its header`);
  const header = bytes.toString(major === 3 ? 'utf8' : 'latin1', headerStart, dataStart);
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new DatasetInputError(`${source} has a malformed header`);
  if (descr !== '<f4' && descr !== '>f4' && descr !== '=f4') {
    throw new DatasetInputError(`${source} holds dtype ${descr}; expected float32 ('<f4') — convert with arr.astype(np.float32)`);
  }
  if (fortran === 'True') throw new DatasetInputError(`${source} is in Fortran order; save it with np.ascontiguousarray(arr)`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  if (shape.length !== 2 || !shape.every((n) => Number.isSafeInteger(n) && n >= 0)) {
    throw new DatasetInputError(`${source} has shape (${shapeText.trim()}); expected a 2-D matrix (images × dimensions)`);
  }
  const [rows, cols] = shape as [number, number];
  const expected = rows * cols * 4;
  if (bytes.length - dataStart !== expected) {
    throw new DatasetInputError(`${source} should hold ${rows}×${cols} float32 values (${expected} bytes) but has ${bytes.length - dataStart} bytes of data`);
  }
  const data = new Float32Array(rows * cols);
  const bigEndian = descr === '>f4';
  for (let i = 0; i < data.length; i++) {
    data[i] = bigEndian ? bytes.readFloatBE(dataStart + i * 4) : bytes.readFloatLE(dataStart + i * 4);
  }
  return { data, rows, cols };
}

/** Writes a float32 matrix as a version-1 `.npy` (tests, exports). */
export function toNpy(data: Float32Array, rows: number, cols: number): Buffer {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  MAGIC.copy(head, 0);
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  const body = Buffer.alloc(rows * cols * 4);
  for (let i = 0; i < rows * cols; i++) body.writeFloatLE(data[i]!, i * 4);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), body]);
}
