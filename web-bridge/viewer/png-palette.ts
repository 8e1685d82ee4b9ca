/**
 * The colours of a palette PNG, read from its PLTE and tRNS chunks, so that the viewer's legend
 * shows each class in the colour its mask is drawn in, whatever palette the server chose.
 */

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * CSS colours of the palette entries of `png` (`rgb(r g b / a)`, alpha from tRNS, 1 past its
 * end); empty when `png` is not a PNG or has no palette. Chunks are walked, not checked: the
 * colours only label a legend.
 */
export function readPngPalette(png: Uint8Array): string[] {
  if (png.length < 8 || SIGNATURE.some((b, i) => png[i] !== b)) return [];
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let palette: Uint8Array | undefined;
  let alpha: Uint8Array | undefined;
  for (let offset = 8; offset + 8 <= png.length; ) {
    const length = view.getUint32(offset, false);
    const type = String.fromCharCode(png[offset + 4], png[offset + 5], png[offset + 6], png[offset + 7]);
    const data = png.subarray(offset + 8, Math.min(png.length, offset + 8 + length));
    if (type === 'PLTE') palette = data;
    else if (type === 'tRNS') alpha = data;
    // Both come before the image data.
    else if (type === 'IDAT' || type === 'IEND') break;
    offset += 12 + length;
  }
  if (palette === undefined) return [];
  const colors: string[] = [];
  for (let i = 0; i + 3 <= palette.length; i += 3) {
    const a = alpha !== undefined && i / 3 < alpha.length ? alpha[i / 3] / 255 : 1;
    colors.push(`rgb(${palette[i]} ${palette[i + 1]} ${palette[i + 2]} / ${Number(a.toFixed(3))})`);
  }
  return colors;
}
