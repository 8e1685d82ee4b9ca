/**
 * The batch page's records are `sluice batch`'s: a response read back from the JSON the bridge
 * sends gives the same record, and the same counts, as the response itself. Also the page's own
 * pure parts: which images a run takes, and labels of dropped files.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PredictResponse } from '../../../../client/index.js';
import { batchRecord } from '../../../../client/cli/batch/batch-record.js';
import { StreamStats } from '../../../../client/cli/stream/stream-stats.js';
import type { PredictResponseJson } from '../../../../web-bridge/protocol/predict-response-json.js';
import { droppedImages, folderLabel } from '../../../../web-bridge/viewer/batch/dropped-files.js';
import { selectItems } from '../../../../web-bridge/viewer/batch/item-filter.js';
import { recordedResponse } from '../../../../web-bridge/viewer/batch/recorded-response.js';
import { isMistake, sampleOrder } from '../../../../web-bridge/viewer/batch/sample-order.js';

const RESPONSES = [
  PredictResponse.fromPartial({ id: 'a', result: { $case: 'prediction', value: { classes: [{ index: 0, label: 'red', score: 0.7 }, { index: 2, label: 'blue', score: 0.2 }] } } }),
  PredictResponse.fromPartial({ result: { $case: 'prediction', value: { classes: [{ index: 1, label: 'green', score: 1 }] } } }),
  PredictResponse.fromPartial({ result: { $case: 'prediction', value: { text: 'hello', textScore: 0.9 } } }),
  PredictResponse.fromPartial({ result: { $case: 'prediction', value: { detections: [{ xMax: 3, yMax: 4, score: 0.5 }, { score: 0.1 }] } } }),
  PredictResponse.fromPartial({ result: { $case: 'prediction', value: { points: [{ x: 1, y: 2, score: 0.9 }] } } }),
  PredictResponse.fromPartial({ result: { $case: 'prediction', value: { outputs: [{ name: 'probs', shape: [1n, 3n] }] } } }),
  PredictResponse.fromPartial({ result: { $case: 'prediction', value: {} } }),
  PredictResponse.fromPartial({ result: { $case: 'error', value: { code: 3, message: 'not an image' } } }),
  PredictResponse.fromPartial({ result: { $case: 'error', value: { code: 42, message: 'odd' } } }),
  PredictResponse.fromPartial({ result: { $case: 'dropped', value: {} } }),
];

test('a response read back from its JSON makes the record and the counts the response makes', () => {
  const direct = new StreamStats();
  const fromJson = new StreamStats();
  for (const [i, response] of RESPONSES.entries()) {
    // What the bridge sends: ts-proto's JSON, through the wire.
    const json = JSON.parse(JSON.stringify(PredictResponse.toJSON(response))) as PredictResponseJson;
    for (const positive of [undefined, 'blue', 'green']) {
      assert.deepEqual(batchRecord(`p${i}`, recordedResponse(json), 1.5, 'blue', positive), batchRecord(`p${i}`, response, 1.5, 'blue', positive), `response ${i}, positive ${positive}`);
    }
    direct.record(response, 1);
    fromJson.record(recordedResponse(json), 1);
  }
  assert.deepEqual(fromJson.counts, direct.counts);
  assert.deepEqual(fromJson.errorsByCode, direct.errorsByCode);
  assert.deepEqual(direct.errorsByCode, { INVALID_ARGUMENT: 1, '42': 1 });
});

test('a run takes the images every filter passes, in order, up to the limit', () => {
  const items = [
    { path: '1', label: 'red', metadata: { energy: 10, detector: 'a' } },
    { path: '2', label: 'blue', metadata: { energy: 50, detector: 'b' } },
    { path: '3', label: undefined, metadata: { energy: 55, detector: 'a' } },
    { path: '4', label: 'red', metadata: { energy: null, detector: 'a' } },
    { path: '5', label: 'red', metadata: { energy: 70 } },
  ];
  const paths = (found: { path: string }[]): string[] => found.map((i) => i.path);
  assert.deepEqual(paths(selectItems(items, [])), ['1', '2', '3', '4', '5']);
  assert.deepEqual(paths(selectItems(items, [], 2)), ['1', '2']);
  assert.deepEqual(paths(selectItems(items, [{ kind: 'range', column: 'energy', min: 10, max: 55 }])), ['1', '2', '3']);
  assert.deepEqual(paths(selectItems(items, [{ kind: 'choice', column: 'detector', values: new Set(['a']) }])), ['1', '3', '4']);
  assert.deepEqual(paths(selectItems(items, [{ kind: 'label', values: new Set(['red']), unlabelled: false }])), ['1', '4', '5']);
  assert.deepEqual(paths(selectItems(items, [{ kind: 'label', values: new Set(['red']), unlabelled: true }, { kind: 'range', column: 'energy', min: 0, max: 60 }], 2)), ['1', '3']);
});

test('dropped files: images only, in natural order, labelled by their folder', () => {
  const file = (name: string): File => new File([new Uint8Array(1)], name);
  const images = droppedImages([
    { file: file('10.png'), path: '/set/red/10.png' },
    { file: file('2.PNG'), path: '/set/red/2.PNG' },
    { file: file('notes.txt'), path: '/set/red/notes.txt' },
    { file: file('.x.png'), path: '/set/blue/.x.png' },
    { file: file('b.webp'), path: 'set/blue/b.webp' },
    { file: file('loose.jpg'), path: 'loose.jpg' },
  ]);
  assert.deepEqual(
    images.map((i) => [i.path, i.label]),
    [
      ['loose.jpg', undefined],
      ['set/blue/b.webp', 'blue'],
      ['set/red/2.PNG', 'red'],
      ['set/red/10.png', 'red'],
    ],
  );
  assert.equal(folderLabel('a/b/c.png'), 'b');
  assert.equal(folderLabel('c.png'), undefined);
});

test('samples: mistakes and errors first on request', () => {
  const r = (label: string | undefined, predicted: string | undefined, errorCode?: string) => ({ path: '', label, predicted, score: predicted === undefined ? undefined : 0.9, positiveScore: undefined, errorCode, error: undefined, latencyMs: 0 });
  const records = [r('red', 'red'), r('red', 'blue'), r(undefined, 'green'), r(undefined, undefined, 'NOT_FOUND'), r('blue', 'blue')];
  assert.deepEqual(records.map(isMistake), [false, true, false, true, false]);
  assert.deepEqual(sampleOrder(records, 10, false), [0, 1, 2, 3, 4]);
  assert.deepEqual(sampleOrder(records, 3, true), [1, 3, 0]);
});
