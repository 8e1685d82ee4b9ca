/**
 * The last step before a frame is sent: scale it and encode it as asked, with sharp. Frames that
 * are already right (ffmpeg scaled and encoded them) pass through untouched, and so do JPEG, PNG
 * and WebP files when nothing is asked; other encoded formats (GIF, TIFF, AVIF) become PNG,
 * because the server takes only JPEG, PNG, WebP and raw pixels.
 */
import sharp from 'sharp';
import type { Frame, Size } from './frame.js';

/** Options of `prepareFrame`. */
export interface PrepareFrameOptions {
  /** Target size; a height of 0 keeps the aspect ratio. Scaling stretches to exactly WxH. */
  readonly resize?: Size | undefined;
  /** Target encoding; absent keeps what the source made. */
  readonly encoding?: 'jpeg' | 'png' | 'raw' | undefined;
  /** JPEG quality, 1 to 100 (default 85). */
  readonly jpegQuality?: number;
}

export async function prepareFrame(frame: Frame, options: PrepareFrameOptions): Promise<Frame> {
  const { resize } = options;
  const sized = resize === undefined || (frame.width === resize.width && (resize.height === 0 || frame.height === resize.height));
  const target = options.encoding ?? (frame.encoding === 'other' ? 'png' : frame.encoding);
  if (sized && target === frame.encoding) return frame;

  let image =
    frame.encoding === 'raw'
      ? sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 3 } })
      : sharp(frame.data, { failOn: 'error' });
  if (!sized && resize !== undefined) image = resize.height === 0 ? image.resize({ width: resize.width }) : image.resize(resize.width, resize.height, { fit: 'fill' });
  if (target === 'raw') {
    const { data, info } = await image.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    return { ...frame, data, encoding: 'raw', width: info.width, height: info.height };
  }
  const encoded = target === 'jpeg' ? image.jpeg({ quality: options.jpegQuality ?? 85 }) : target === 'webp' ? image.webp() : image.png({ compressionLevel: 1 });
  const { data, info } = await encoded.toBuffer({ resolveWithObject: true });
  return { ...frame, data, encoding: target, width: info.width, height: info.height };
}
