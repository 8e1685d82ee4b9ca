import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PredictResponse, type Prediction } from '../../../gen/ts/sluice/v1/inference_service.js';
import { SegmentationPostprocessor } from '../../../gen/ts/sluice/v1/model_config.js';
import { segment } from '../../../server/worker/postprocess/segment.js';
import type { PredictResponseJson } from '../../../web-bridge/protocol/predict-response-json.js';
import { readPngPalette } from '../../../web-bridge/viewer/png-palette.js';
import { readResult } from '../../../web-bridge/viewer/read-result.js';
import { readPalettePng } from '../../helpers/read-palette-png.js';

/** A prediction as the bridge relays it: `PredictResponse.toJSON`, through JSON text. */
function relayed(prediction: Partial<Prediction>): PredictResponseJson {
  const response = PredictResponse.fromPartial({ id: '7', model: 'seg', result: { $case: 'prediction', value: prediction } });
  return JSON.parse(JSON.stringify(PredictResponse.toJSON(response))) as PredictResponseJson;
}

test('a segmentation arrives as the mask bytes, its shares, and each class\'s colour in the mask', () => {
  // 4 x 2 map: class 0 (background), 1 and 3 present; 2 absent.
  const map = { data: Float32Array.of(0, 1, 1, 3, 0, 1, 3, 3), dims: [1, 2, 4] };
  const prediction = segment(map, SegmentationPostprocessor.fromPartial({}), { labels: ['bg', 'road', 'car', 'sky'] });
  const view = readResult(relayed({ ...prediction, imageWidth: 4, imageHeight: 2 })).prediction?.segmentation;
  assert.ok(view !== undefined);
  assert.deepEqual(view.maskPng, prediction.segmentation?.maskPng, 'the PNG survives base64 in JSON byte for byte');
  assert.deepEqual([...readPalettePng(view.maskPng).pixels], [0, 1, 1, 3, 0, 1, 3, 3]);
  assert.deepEqual([view.width, view.height], [4, 2]);

  const png = readPalettePng(view.maskPng);
  const rgb = (i: number): string => [...png.palette.subarray(i * 3, i * 3 + 3)].join(' ');
  assert.deepEqual(
    view.classes.map((c) => [c.index, c.label, c.share, c.color]),
    [
      [1, 'road', 3 / 8, `rgb(${rgb(1)} / 1)`],
      [3, 'sky', 3 / 8, `rgb(${rgb(3)} / 1)`],
      // Class 0 is the background: transparent in the mask, and so in the legend.
      [0, 'bg', 2 / 8, `rgb(${rgb(0)} / 0)`],
    ],
  );
});

test('a segmentation without mask bytes reads as an empty mask; other models have no segmentation', () => {
  const empty = readResult(relayed({ segmentation: { maskPng: new Uint8Array(0), width: 0, height: 0, classes: [{ index: 2, label: '', share: 1 }] } }));
  assert.equal(empty.prediction?.segmentation?.maskPng.length, 0);
  assert.deepEqual(empty.prediction?.segmentation?.classes, [{ index: 2, label: '2', share: 1, color: '' }]);
  const other = readResult(relayed({ classes: [{ index: 1, label: 'cat', score: 0.5 }] }));
  assert.equal(other.prediction?.segmentation, undefined);
});

test('detections keep their class index, label and score', () => {
  const view = readResult(relayed({ detections: [{ xMin: 1, yMin: 2, xMax: 3, yMax: 4, score: 0.5, label: 'bus', classIndex: 5, polygon: [], text: '', textScore: 0 }] }));
  assert.deepEqual(view.prediction?.detections.map((d) => [d.label, d.score, d.classIndex]), [['bus', 0.5, 5]]);
});

test('readPngPalette: no palette, or not a PNG at all, gives no colours', () => {
  assert.deepEqual(readPngPalette(new Uint8Array(0)), []);
  assert.deepEqual(readPngPalette(Uint8Array.from('not a png at all', (c) => c.charCodeAt(0))), []);
  // A signature and an IEND only.
  const iend = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82);
  assert.deepEqual(readPngPalette(iend), []);
});
