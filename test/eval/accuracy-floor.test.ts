/**
 * Accuracy floors on the first 12 images of the evaluation set (34 lines), through a real server.
 * Measured on this subset when the floors were set (seed 20260501): ppocr-det precision 0.821,
 * recall 0.941; ppocr-rec character accuracy 0.991 (clean lines 0.988), exact lines 0.913;
 * ppocr-cls 1.000; ocr pipeline recall 0.941, precision 0.821, character accuracy of matched
 * boxes 0.963, orientation 1.000. The floors leave a margin of about two lines for rendering
 * differences between machines.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SEED } from '../../eval/dataset/generate-dataset.js';
import { evaluate } from '../../eval/evaluate/evaluate.js';
import { MODELS } from '../../eval/evaluate/run-models.js';
import { startTestServer } from '../helpers/test-server.js';

const IMAGES = 12;

test('OCR accuracy stays above its floors on the evaluation subset', async (t) => {
  const { client } = await startTestServer(t);
  const report = await evaluate(client, { seed: DEFAULT_SEED, images: IMAGES, signal: AbortSignal.timeout(60_000) });
  const { detection, recognition, orientation, pipeline } = report.scores;
  assert.equal(report.dataset.lines, 34, 'the subset changed: re-measure and reset the floors');

  await t.test('ppocr-det finds the lines', () => {
    assert.ok(detection.all.recall >= 0.88, `recall ${detection.all.recall}`);
    assert.ok(detection.all.precision >= 0.75, `precision ${detection.all.precision}`);
  });

  await t.test('ppocr-rec reads ground-truth crops', () => {
    assert.ok(recognition.clean.charAccuracy >= 0.95, `clean character accuracy ${recognition.clean.charAccuracy}`);
    assert.ok(recognition.all.charAccuracy >= 0.95, `character accuracy ${recognition.all.charAccuracy}`);
    assert.ok(recognition.all.lineAccuracy >= 0.8, `exact lines ${recognition.all.lineAccuracy}`);
  });

  await t.test('ppocr-cls tells upright from upside down', () => {
    assert.ok(orientation.all.accuracy >= 0.95, `accuracy ${orientation.all.accuracy}`);
    assert.ok(orientation.upsideDown.total > 0, 'the subset has upside-down lines');
  });

  await t.test('the ocr pipeline reads whole images', (st) => {
    if (!report.models.includes(MODELS.pipeline)) {
      st.skip('no ocr model');
      return;
    }
    assert.ok(pipeline !== null);
    assert.ok(pipeline.detection.all.recall >= 0.88, `recall ${pipeline.detection.all.recall}`);
    assert.ok(pipeline.detection.all.precision >= 0.75, `precision ${pipeline.detection.all.precision}`);
    assert.ok(pipeline.matchedText.all.charAccuracy >= 0.92, `character accuracy of matched boxes ${pipeline.matchedText.all.charAccuracy}`);
    assert.ok(pipeline.orientation.accuracy >= 0.95, `orientation ${pipeline.orientation.accuracy}`);
  });
});
