import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ResizeMode } from '../../../../gen/ts/sluice/v1/model_config.js';
import { planResize } from '../../../../server/worker/preprocess/plan-resize.js';
import type { ResolvedResizeMode } from '../../../../server/worker/preprocess/resolve-preprocessing.js';

const box = (resizeMode: ResolvedResizeMode, width: number, height: number, stride = 32) => ({ resizeMode, width, height, stride });

test('STRETCH scales each axis to the box', () => {
  const p = planResize(640, 200, box(ResizeMode.RESIZE_MODE_STRETCH, 224, 224));
  assert.deepEqual([p.resizedWidth, p.resizedHeight, p.tensorWidth, p.tensorHeight], [224, 224, 224, 224]);
  assert.equal(p.geometry.scaleX, 224 / 640);
  assert.equal(p.geometry.scaleY, 224 / 200);
});

test('LETTERBOX keeps the aspect ratio, scales up or down, and pads to the box', () => {
  const down = planResize(400, 100, box(ResizeMode.RESIZE_MODE_LETTERBOX, 192, 48));
  assert.deepEqual([down.resizedWidth, down.resizedHeight, down.tensorWidth, down.tensorHeight], [192, 48, 192, 48]);
  const wide = planResize(1000, 100, box(ResizeMode.RESIZE_MODE_LETTERBOX, 192, 48));
  assert.deepEqual([wide.resizedWidth, wide.resizedHeight, wide.tensorWidth, wide.tensorHeight], [192, 19, 192, 48]);
  assert.equal(wide.geometry.scaleY, 19 / 100);
  const up = planResize(50, 24, box(ResizeMode.RESIZE_MODE_LETTERBOX, 192, 48));
  assert.deepEqual([up.resizedWidth, up.resizedHeight], [100, 48]);
  assert.deepEqual([up.geometry.padX, up.geometry.padY], [0, 0]);
});

test('FIT_STRIDE limits the long side, never scales up, and rounds each side to the stride', () => {
  const big = planResize(1920, 1080, box(ResizeMode.RESIZE_MODE_FIT_STRIDE, 960, 960));
  // 1080 * 0.5 = 540 -> 544 (17 strides).
  assert.deepEqual([big.resizedWidth, big.resizedHeight, big.tensorWidth, big.tensorHeight], [960, 544, 960, 544]);
  assert.equal(big.geometry.scaleX, 0.5);
  assert.equal(big.geometry.scaleY, 544 / 1080);
  const small = planResize(640, 200, box(ResizeMode.RESIZE_MODE_FIT_STRIDE, 960, 960));
  assert.deepEqual([small.resizedWidth, small.resizedHeight], [640, 192]);
  const tiny = planResize(10, 5, box(ResizeMode.RESIZE_MODE_FIT_STRIDE, 960, 960));
  assert.deepEqual([tiny.resizedWidth, tiny.resizedHeight], [32, 32]);
  // Rounding up would leave a 120 box (128 > 120): stay at the largest multiple inside it.
  const edge = planResize(1000, 1000, box(ResizeMode.RESIZE_MODE_FIT_STRIDE, 120, 120));
  assert.deepEqual([edge.resizedWidth, edge.resizedHeight], [96, 96]);
});
