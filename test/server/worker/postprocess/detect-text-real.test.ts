import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import type { Detection } from '../../../../gen/ts/sluice/v1/inference_service.js';
import { PixelFormat } from '../../../../gen/ts/sluice/v1/image.js';
import {
  ChannelOrder,
  Layout,
  Preprocessing,
  ResizeMode,
  TextDetectionPostprocessor,
} from '../../../../gen/ts/sluice/v1/model_config.js';
import { detectText } from '../../../../server/worker/postprocess/detect-text.js';
import { preprocessImage } from '../../../../server/worker/preprocess/image-preprocess.js';
import { resolvePreprocessing } from '../../../../server/worker/preprocess/resolve-preprocessing.js';

const MODEL = fileURLToPath(new URL('../../../../models/ppocr-det/model.onnx', import.meta.url));
const WIDTH = 640;
const HEIGHT = 200;
/** Two lines of text and the band of rows each is drawn in. */
const LINES = [
  { text: 'Sluice 2026', x: 40, baseline: 80, band: [0, 100] },
  { text: 'streams of frames', x: 120, baseline: 165, band: [100, 200] },
] as const;

interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

function iou(a: Box, b: Box): number {
  const w = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
  const h = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
  const inter = w > 0 && h > 0 ? w * h : 0;
  const area = (r: Box) => (r.x1 - r.x0) * (r.y1 - r.y0);
  return inter / (area(a) + area(b) - inter);
}

/** The box around every dark pixel in rows [top, bottom): where the glyphs actually landed. */
function inkBox(grey: Uint8Array, top: number, bottom: number): Box {
  const box = { x0: WIDTH, y0: HEIGHT, x1: 0, y1: 0 };
  for (let y = top; y < bottom; y++) {
    for (let x = 0; x < WIDTH; x++) {
      if (grey[y * WIDTH + x]! < 128) {
        box.x0 = Math.min(box.x0, x);
        box.y0 = Math.min(box.y0, y);
        box.x1 = Math.max(box.x1, x + 1);
        box.y1 = Math.max(box.y1, y + 1);
      }
    }
  }
  return box;
}

test('PP-OCRv4 detection finds one box around each rendered line', async (t) => {
  assert.ok(existsSync(MODEL), `${MODEL} is missing: run \`npm run models\``);

  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}">
    <rect width="100%" height="100%" fill="white"/>
    ${LINES.map((l) => `<text x="${l.x}" y="${l.baseline}" font-family="DejaVu Sans, sans-serif" font-size="48" fill="black">${l.text}</text>`).join('\n')}
  </svg>`;
  const png = await sharp(Buffer.from(svg)).png().toBuffer();
  const grey = await sharp(png).greyscale().raw().toBuffer();
  const ink = LINES.map((l) => inkBox(grey, l.band[0], l.band[1]));
  for (const [i, box] of ink.entries()) assert.ok(box.x1 > box.x0 && box.y1 > box.y0, `line ${i} rendered no ink`);

  const pre = resolvePreprocessing(
    Preprocessing.fromPartial({
      input: 'x',
      width: 960,
      height: 960,
      resizeMode: ResizeMode.RESIZE_MODE_FIT_STRIDE,
      stride: 32,
      layout: Layout.LAYOUT_NCHW,
      channelOrder: ChannelOrder.CHANNEL_ORDER_BGR,
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
    }),
  );
  const input = await preprocessImage(
    { data: png, width: 0, height: 0, pixelFormat: PixelFormat.PIXEL_FORMAT_UNSPECIFIED },
    pre,
    { maxImagePixels: 4096 * 4096 },
  );
  assert.deepEqual(input.dims, [1, 3, 192, 640]);

  const session = await ort.InferenceSession.create(MODEL, {
    intraOpNumThreads: 1,
    executionProviders: ['cpu'],
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  t.after(() => session.release());
  const results = await session.run({ x: new ort.Tensor('float32', input.data, input.dims) });
  const map = results['sigmoid_0.tmp_0'];
  assert.ok(map, `outputs: ${Object.keys(results).join(', ')}`);

  const { detections = [] } = detectText(
    { data: map.data as Float32Array, dims: map.dims },
    TextDetectionPostprocessor.fromPartial({}),
    { geometry: input.geometry, inputWidth: input.dims[3], inputHeight: input.dims[2] },
  );
  t.diagnostic(`map ${map.dims.join('x')}; ${detections.length} boxes for ${LINES.length} lines`);

  assert.equal(detections.length, LINES.length);
  for (const [i, d] of (detections as Detection[]).entries()) {
    const box = { x0: d.xMin, y0: d.yMin, x1: d.xMax, y1: d.yMax };
    const line = ink[i]!;
    const overlap = iou(box, line);
    t.diagnostic(
      `line ${i}: ink [${line.x0}, ${line.y0}, ${line.x1}, ${line.y1}], box [${[box.x0, box.y0, box.x1, box.y1].map((v) => v.toFixed(1)).join(', ')}], ` +
        `score ${d.score.toFixed(3)}, IoU ${overlap.toFixed(3)}`,
    );
    // The box holds all the ink (a pixel of slack for anti-aliased edges) and not much more.
    assert.ok(
      box.x0 <= line.x0 + 1 && box.y0 <= line.y0 + 1 && box.x1 >= line.x1 - 1 && box.y1 >= line.y1 - 1,
      `line ${i}: box does not contain the ink`,
    );
    assert.ok(overlap > 0.5, `line ${i}: IoU ${overlap}`);
    assert.equal(d.polygon.length, 4);
  }
});
