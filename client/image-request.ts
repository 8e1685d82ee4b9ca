/**
 * Helpers that build `PredictRequest`s for images.
 */
import { readFile } from 'node:fs/promises';
import { PixelFormat } from '../gen/ts/sluice/v1/image.js';
import type { PredictRequest } from '../gen/ts/sluice/v1/inference_service.js';
import type { Frame } from './sources/frame.js';

/** A request carrying encoded image bytes (JPEG, PNG, WebP). */
export function imageRequest(model: string, data: Uint8Array, id = ''): PredictRequest {
  return {
    id,
    model,
    inputs: [],
    image: { data: Buffer.from(data.buffer, data.byteOffset, data.byteLength), width: 0, height: 0, pixelFormat: PixelFormat.PIXEL_FORMAT_UNSPECIFIED },
    returnTensors: false,
    streamOptions: undefined,
  };
}

/** Reads an image file into a request; the id defaults to the path. */
export async function readImageRequest(model: string, path: string, id = path): Promise<PredictRequest> {
  return imageRequest(model, await readFile(path), id);
}

/** A request for a frame: encoded bytes as they are, raw frames as RGB8 pixels with their size. */
export function frameRequest(model: string, frame: Pick<Frame, 'id' | 'data' | 'encoding' | 'width' | 'height'>): PredictRequest {
  if (frame.encoding !== 'raw') return imageRequest(model, frame.data, frame.id);
  return {
    id: frame.id,
    model,
    inputs: [],
    image: { data: frame.data, width: frame.width, height: frame.height, pixelFormat: PixelFormat.PIXEL_FORMAT_RGB8 },
    returnTensors: false,
    streamOptions: undefined,
  };
}
