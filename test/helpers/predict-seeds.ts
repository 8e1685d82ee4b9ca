/**
 * Valid `PredictRequest`s to start fuzzing from: tensors for `add` (raw_data and float_data),
 * encoded and raw images for tiny-cnn and ppocr-det, and stream options.
 */
import sharp from 'sharp';
import { DataType, DropPolicy, PixelFormat, PredictRequest, ResponseOrder, type Tensor } from '../../client/index.js';
import { renderText, solidPng } from './images.js';
import { Prng } from './prng.js';
import { addRequest, imageItem } from './requests.js';

/** A valid request and its encoding. */
export interface PredictSeed {
  readonly name: string;
  readonly request: PredictRequest;
  readonly bytes: Buffer;
}

function seedOf(name: string, request: PredictRequest): PredictSeed {
  return { name, request, bytes: Buffer.from(PredictRequest.encode(request).finish()) };
}

function floatTensor(name: string, values: readonly number[]): Tensor {
  return { name, dtype: DataType.DATA_TYPE_FLOAT32, shape: [BigInt(values.length / 4), 4n], rawData: new Uint8Array(0), floatData: [...values] };
}

/** One request of each kind; every one of them gets a prediction from the repository's models. */
export async function predictSeeds(): Promise<PredictSeed[]> {
  const noise = new Prng(7).bytes(72 * 72 * 3);
  const noisePng = await sharp(Buffer.from(noise), { raw: { width: 72, height: 72, channels: 3 } }).png().toBuffer();
  const text = await renderText(128, 48, [{ text: 'fuzz 42', x: 8, y: 34, size: 28 }]);
  const greenJpeg = await sharp({ create: { width: 40, height: 24, channels: 3, background: { r: 10, g: 200, b: 10 } } }).jpeg().toBuffer();
  const blue = Buffer.alloc(48 * 48 * 3);
  for (let i = 2; i < blue.length; i += 3) blue[i] = 230;
  const floats: PredictRequest = {
    id: 'add-float',
    model: 'add',
    inputs: [floatTensor('a', [1, 2, 3, 4, 5, 6, 7, 8]), floatTensor('b', [8, 7, 6, 5, 4, 3, 2, 1])],
    image: undefined,
    returnTensors: false,
    streamOptions: undefined,
  };
  return [
    seedOf('add-raw', addRequest('add-raw', [1, 2, 3, 4], [0.5, 0.5, 0.5, 0.5])),
    seedOf('add-raw-batch', addRequest('add-raw-batch', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3])),
    seedOf('add-float', floats),
    seedOf('tiny-cnn-png', imageItem('tiny-cnn-png', 'tiny-cnn', await solidPng(32, 32, [220, 20, 20]))),
    seedOf('tiny-cnn-jpeg', imageItem('tiny-cnn-jpeg', 'tiny-cnn', greenJpeg)),
    // Larger than 4 KiB: grpc-js gives such messages a buffer of their own, which moves to a worker.
    seedOf('tiny-cnn-raw', {
      ...imageItem('tiny-cnn-raw', 'tiny-cnn', blue),
      image: { data: blue, width: 48, height: 48, pixelFormat: PixelFormat.PIXEL_FORMAT_RGB8 },
      returnTensors: true,
    }),
    seedOf('ppocr-det-png', imageItem('ppocr-det-png', 'ppocr-det', text)),
    seedOf('ppocr-det-jpeg', imageItem('ppocr-det-jpeg', 'ppocr-det', await sharp(text).jpeg({ quality: 80 }).toBuffer())),
    seedOf('ppocr-det-noise', imageItem('ppocr-det-noise', 'ppocr-det', noisePng)),
  ];
}

/** An `add` item carrying stream options drawn from `prng`, for the first message of a stream. */
export function streamOptionsSeed(prng: Prng, publishName: string): PredictSeed {
  return seedOf('stream-options', {
    ...addRequest('options', [1, 2, 3, 4], [4, 3, 2, 1]),
    streamOptions: {
      order: prng.pick([ResponseOrder.RESPONSE_ORDER_UNSPECIFIED, ResponseOrder.RESPONSE_ORDER_REQUEST, ResponseOrder.RESPONSE_ORDER_COMPLETION]),
      maxInFlight: prng.pick([0, 1, 2, 4, 8]),
      dropPolicy: prng.pick([DropPolicy.DROP_POLICY_UNSPECIFIED, DropPolicy.DROP_POLICY_NONE, DropPolicy.DROP_POLICY_DROP_OLDEST]),
      itemTimeoutMs: prng.pick([0, 0, 1, 50, 5_000]),
      publish: prng.chance(0.3) ? publishName : '',
      private: prng.chance(0.5),
    },
  });
}
