import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ChannelOrder,
  Layout,
  Preprocessing,
  ResizeMode,
} from '../../../../gen/ts/sluice/v1/model_config.js';
import { resolvePreprocessing } from '../../../../server/worker/preprocess/resolve-preprocessing.js';

const hasCode = (code: string) => (err: unknown) => (err as { code?: unknown }).code === code;

test('UNSPECIFIED fields take the documented defaults', () => {
  const r = resolvePreprocessing(Preprocessing.fromPartial({ width: 224, height: 224 }));
  assert.equal(r.resizeMode, ResizeMode.RESIZE_MODE_STRETCH);
  assert.equal(r.layout, Layout.LAYOUT_NCHW);
  assert.equal(r.channelOrder, ChannelOrder.CHANNEL_ORDER_RGB);
  assert.equal(r.channels, 3);
  assert.equal(r.stride, 32);
  assert.equal(r.scale, 1 / 255);
  assert.deepEqual(r.mean, [0, 0, 0]);
  assert.deepEqual(r.std, [1, 1, 1]);
  assert.equal(r.padValue, 0);
  assert.ok(Object.isFrozen(r) && Object.isFrozen(r.mean) && Object.isFrozen(r.std));
});

test('GRAY has one channel and one-element mean/std are broadcast', () => {
  const gray = resolvePreprocessing(
    Preprocessing.fromPartial({ width: 8, height: 8, channelOrder: ChannelOrder.CHANNEL_ORDER_GRAY, mean: [0.5], std: [0.5] }),
  );
  assert.equal(gray.channels, 1);
  assert.deepEqual(gray.mean, [0.5]);
  const rgb = resolvePreprocessing(Preprocessing.fromPartial({ width: 8, height: 8, mean: [0.5], std: [0.25], scale: 1 }));
  assert.deepEqual(rgb.mean, [0.5, 0.5, 0.5]);
  assert.deepEqual(rgb.std, [0.25, 0.25, 0.25]);
  assert.equal(rgb.scale, 1);
});

test('explicit values are kept', () => {
  const r = resolvePreprocessing(
    Preprocessing.fromPartial({
      input: 'x',
      width: 960,
      height: 640,
      resizeMode: ResizeMode.RESIZE_MODE_FIT_STRIDE,
      stride: 16,
      layout: Layout.LAYOUT_NHWC,
      channelOrder: ChannelOrder.CHANNEL_ORDER_BGR,
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
      padValue: 114,
    }),
  );
  assert.equal(r.input, 'x');
  assert.equal(r.resizeMode, ResizeMode.RESIZE_MODE_FIT_STRIDE);
  assert.equal(r.stride, 16);
  assert.equal(r.layout, Layout.LAYOUT_NHWC);
  assert.equal(r.channelOrder, ChannelOrder.CHANNEL_ORDER_BGR);
  assert.deepEqual(r.mean, [0.485, 0.456, 0.406]);
  assert.equal(r.padValue, 114);
});

test('values that cannot work are INVALID_CONFIG', () => {
  const bad: Partial<Preprocessing>[] = [
    { width: 0, height: 8 },
    { width: 8, height: -1 },
    { width: 8, height: 8, mean: [0, 0] },
    { width: 8, height: 8, std: [1, 0, 1] },
    { width: 8, height: 8, scale: 0 },
    { width: 8, height: 8, padValue: 256 },
    { width: 8, height: 8, resizeMode: ResizeMode.UNRECOGNIZED },
    { width: 8, height: 8, channelOrder: ChannelOrder.CHANNEL_ORDER_GRAY, mean: [0, 0, 0] },
  ];
  for (const fields of bad) {
    assert.throws(() => resolvePreprocessing(Preprocessing.fromPartial(fields)), hasCode('INVALID_CONFIG'), JSON.stringify(fields));
  }
});
