import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ResizeMode } from '../../../../gen/ts/sluice/v1/model_config.js';
import { largestTensor, planResize } from '../../../../server/worker/preprocess/plan-resize.js';
import type { ResolvedResizeMode } from '../../../../server/worker/preprocess/resolve-preprocessing.js';

const box = (resizeMode: ResolvedResizeMode, width: number, height: number, stride = 32) => ({ resizeMode, width, height, stride });

test('STRETCH scales each axis to the box', () => {
  const p = planResize(640, 200, box(ResizeMode.RESIZE_MODE_STRETCH, 224, 224));
  assert.deepEqual([p.resizedWidth, p.resizedHeight, p.tensorWidth, p.tensorHeight], [224, 224, 224, 224]);
  assert.equal(p.geometry.scaleX, 224 / 640);
  assert.equal(p.geometry.scaleY, 224 / 200);
});

test('LETTERBOX keeps the aspect ratio, scales up or down, and centres the image in the box', () => {
  const down = planResize(400, 100, box(ResizeMode.RESIZE_MODE_LETTERBOX, 192, 48));
  assert.deepEqual([down.resizedWidth, down.resizedHeight, down.tensorWidth, down.tensorHeight], [192, 48, 192, 48]);
  const wide = planResize(1000, 100, box(ResizeMode.RESIZE_MODE_LETTERBOX, 192, 48));
  assert.deepEqual([wide.resizedWidth, wide.resizedHeight, wide.tensorWidth, wide.tensorHeight], [192, 19, 192, 48]);
  assert.equal(wide.geometry.scaleY, 19 / 100);
  // Centred: 29 rows of padding, 14 above and 15 below.
  assert.deepEqual([wide.geometry.padX, wide.geometry.padY], [0, 14]);
  const up = planResize(50, 24, box(ResizeMode.RESIZE_MODE_LETTERBOX, 192, 48));
  assert.deepEqual([up.resizedWidth, up.resizedHeight], [100, 48]);
  assert.deepEqual([up.geometry.padX, up.geometry.padY], [46, 0]);
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

test('largestTensor bounds every tensor planResize makes, and some image reaches it', () => {
  const boxes = [
    box(ResizeMode.RESIZE_MODE_STRETCH, 224, 160),
    box(ResizeMode.RESIZE_MODE_LETTERBOX, 192, 48),
    box(ResizeMode.RESIZE_MODE_FIT_STRIDE, 960, 960),
    box(ResizeMode.RESIZE_MODE_FIT_STRIDE, 120, 100),
    // A stride wider than the box: one stride is the least FIT_STRIDE makes.
    box(ResizeMode.RESIZE_MODE_FIT_STRIDE, 20, 20),
    box(ResizeMode.RESIZE_MODE_FIT_HEIGHT, 960, 48, 64),
    box(ResizeMode.RESIZE_MODE_FIT_HEIGHT, 192, 48, 0),
  ];
  const sides = [1, 7, 31, 32, 48, 100, 640, 959, 961, 4000, 70_000];
  for (const pre of boxes) {
    const largest = largestTensor(pre);
    let widest = 0;
    let tallest = 0;
    for (const w of sides) {
      for (const h of sides) {
        const plan = planResize(w, h, pre);
        assert.ok(plan.tensorWidth <= largest.width && plan.tensorHeight <= largest.height, `${w}x${h} in ${JSON.stringify(pre)}`);
        widest = Math.max(widest, plan.tensorWidth);
        tallest = Math.max(tallest, plan.tensorHeight);
      }
    }
    assert.deepEqual([widest, tallest], [largest.width, largest.height], JSON.stringify(pre));
  }
  assert.deepEqual(largestTensor(box(ResizeMode.RESIZE_MODE_FIT_STRIDE, 120, 100)), { width: 96, height: 96 });
  assert.deepEqual(largestTensor(box(ResizeMode.RESIZE_MODE_FIT_STRIDE, 20, 20)), { width: 32, height: 32 });
});
