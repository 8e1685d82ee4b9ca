import assert from 'node:assert/strict';
import zlib from 'node:zlib';

/** A palette PNG as the tests read it: indices, not colours. */
export interface ReadPalettePng {
  readonly width: number;
  readonly height: number;
  /** Chunk types in file order. */
  readonly chunks: readonly string[];
  readonly palette: Uint8Array;
  /** The tRNS chunk; undefined when there is none. */
  readonly alpha: Uint8Array | undefined;
  /** Palette index of each pixel, row-major. */
  readonly pixels: Uint8Array;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Reads an 8-bit, non-interlaced palette PNG whose rows all use filter 0, checking every chunk's
 * CRC on the way: a decoder independent of the encoder under test, so the tests see the indices
 * exactly as they were written.
 */
export function readPalettePng(png: Uint8Array): ReadPalettePng {
  const bytes = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  assert.deepEqual(bytes.subarray(0, 8), SIGNATURE, 'PNG signature');
  const chunks: string[] = [];
  const idat: Buffer[] = [];
  let header: Buffer | undefined;
  let palette: Uint8Array | undefined;
  let alpha: Uint8Array | undefined;
  for (let offset = 8; offset < bytes.length; ) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    const data = bytes.subarray(offset + 8, offset + 8 + length);
    assert.equal(bytes.readUInt32BE(offset + 8 + length), zlib.crc32(bytes.subarray(offset + 4, offset + 8 + length)), `CRC of ${type}`);
    chunks.push(type);
    if (type === 'IHDR') header = data;
    else if (type === 'PLTE') palette = Uint8Array.from(data);
    else if (type === 'tRNS') alpha = Uint8Array.from(data);
    else if (type === 'IDAT') idat.push(data);
    offset += 12 + length;
  }
  assert.ok(header !== undefined && palette !== undefined, 'IHDR and PLTE present');
  const width = header.readUInt32BE(0);
  const height = header.readUInt32BE(4);
  assert.deepEqual([...header.subarray(8)], [8, 3, 0, 0, 0], 'bit depth 8, colour type 3, deflate, no filter method, no interlace');
  const raw = zlib.inflateSync(Buffer.concat(idat));
  assert.equal(raw.length, (width + 1) * height, 'one filter byte and width indices per row');
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    assert.equal(raw[y * (width + 1)], 0, `row ${y} uses filter 0`);
    pixels.set(raw.subarray(y * (width + 1) + 1, (y + 1) * (width + 1)), y * width);
  }
  return { width, height, chunks, palette, alpha, pixels };
}
