import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import type { EvalImage } from '../../eval/dataset/eval-image.js';
import { FONT_FACES, FONT_SIZES } from '../../eval/dataset/fonts.js';
import { generateDataset, generateImage } from '../../eval/dataset/generate-dataset.js';
import { createRandom, deriveSeed } from '../../eval/dataset/random.js';
import { boundsOf } from '../../eval/metrics/boxes.js';

/** What a run is scored against: everything but the pixels. */
const groundTruth = (images: readonly EvalImage[]) => images.map(({ png: _png, ...rest }) => rest);

test('the generator is mulberry32, and per-image seeds depend on the seed and the index only', () => {
  // Changing these changes every image of the set, and so every number the evaluation reports.
  const random = createRandom(1);
  assert.deepEqual([random.next(), random.next(), random.next()], [0.6270739405881613, 0.002735721180215478, 0.5274470399599522]);
  assert.deepEqual([deriveSeed(1, 0), deriveSeed(1, 1), deriveSeed(20_260_501, 0)], [1238791538, 1901295881, 53241237]);
  const dice = createRandom(7);
  for (let i = 0; i < 1000; i++) {
    const n = dice.int(1, 6);
    assert.ok(Number.isInteger(n) && n >= 1 && n <= 6);
  }
});

test('the same seed gives the same images and ground truth; another seed does not', async () => {
  const a = await generateDataset({ seed: 42, images: 4 });
  const b = await generateDataset({ seed: 42, images: 4 });
  assert.deepEqual(groundTruth(a), groundTruth(b));
  for (const [i, image] of a.entries()) assert.ok(image.png.equals(b[i]!.png), `${image.id} differs between runs`);

  // Image i does not depend on how many images the set has: a small set is a prefix of a large one.
  assert.deepEqual(groundTruth([await generateImage({ seed: 42, images: 60 }, 3)]), groundTruth([a[3]!]));

  const other = await generateDataset({ seed: 43, images: 4 });
  assert.notDeepEqual(
    other.map((i) => i.lines.map((l) => l.text)),
    a.map((i) => i.lines.map((l) => l.text)),
  );
});

test('ground truth describes what was drawn: lines inside the image, apart, with ink on every edge of their box', async () => {
  const images = await generateDataset({ seed: 7, images: 6 });
  assert.deepEqual(images.map((i) => i.background), ['clean', 'noisy', 'clean', 'noisy', 'clean', 'noisy']);
  const faces = new Set(FONT_FACES.map((f) => f.name));
  for (const image of images) {
    assert.ok(image.lines.length >= 1 && image.lines.length <= 4, `${image.id} has ${image.lines.length} lines`);
    const meta = await sharp(image.png).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', image.width, image.height]);
    const { data, info } = await sharp(image.png).greyscale().raw().toBuffer({ resolveWithObject: true });
    const grey = (x: number, y: number): number => data[y * info.width + x]!;
    let previousBottom = 0;
    for (const line of image.lines) {
      const box = boundsOf(line.quad);
      assert.ok(faces.has(line.font) && FONT_SIZES.includes(line.size) && ['0', '180'].includes(line.orientation));
      assert.match(line.text, /^[A-Za-z0-9.:/-]+( [A-Za-z0-9.:/-]+)*$/);
      assert.ok(box.x0 >= 0 && box.y0 >= 0 && box.x1 <= image.width && box.y1 <= image.height, `${line.text} is outside ${image.id}`);
      assert.ok(box.y0 > previousBottom, `${line.text} overlaps the line above it in ${image.id}`);
      assert.ok(box.y1 - box.y0 <= line.size * 1.3, `${line.text} is taller than its font size allows`);
      previousBottom = box.y1;
      if (image.background === 'clean') {
        // Flat background: the corner is background, and each edge of an exact box holds ink.
        const paper = grey(0, 0);
        const inked = (xs: number[], ys: number[]) => xs.some((x) => ys.some((y) => paper - grey(x, y) >= 30));
        const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
        assert.ok(inked(range(box.x0, box.x1), [box.y0]), `no ink on the top edge of ${line.text}`);
        assert.ok(inked(range(box.x0, box.x1), [box.y1 - 1]), `no ink on the bottom edge of ${line.text}`);
        assert.ok(inked([box.x0], range(box.y0, box.y1)), `no ink on the left edge of ${line.text}`);
        assert.ok(inked([box.x1 - 1], range(box.y0, box.y1)), `no ink on the right edge of ${line.text}`);
      }
    }
  }
});
