import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PredictResponse } from '../../../../client/index.js';
import { batchRecord, csvFields } from '../../../../client/cli/batch/batch-record.js';
import { csvLine, parseCsv } from '../../../../client/cli/batch/csv.js';
import { loadLabels } from '../../../../client/cli/batch/image-labels.js';
import { parseFps, parseInteger, parseSize } from '../../../../client/cli/option-parsers.js';

test('CSV fields are quoted when they need it and parsed back', () => {
  const line = csvLine(['a,b', 'say "hi"', 3, undefined, Number.NaN, ' pad']);
  assert.equal(line, '"a,b","say ""hi""",3,,," pad"');
  assert.deepEqual(parseCsv(`\ufeffpath,label\r\n${line}\n\n"multi\nline",x\n`), [['path', 'label'], ['a,b', 'say "hi"', '3', '', '', ' pad'], ['multi\nline', 'x']]);
});

test('labels come from a CSV relative to its folder, or from folder names', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-labels-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const csv = join(dir, 'labels.csv');
  await writeFile(csv, 'path,label\nimages/a.png,cat\n"images/b, c.png",dog\n');
  const labelOf = await loadLabels(csv);
  assert.equal(labelOf(join(dir, 'images', 'a.png')), 'cat');
  assert.equal(labelOf(join(dir, 'images', 'b, c.png')), 'dog');
  assert.equal(labelOf(join(dir, 'images', 'z.png')), undefined);
  assert.equal((await loadLabels('folders'))('/data/set/red/001.png'), 'red');
  await writeFile(csv, 'a.png\n');
  await assert.rejects(loadLabels(csv), /row 1 must be path,label/);
  await assert.rejects(loadLabels(join(dir, 'none.csv')), /cannot read .*none\.csv: ENOENT/);
});

test('a response becomes a flat record with the positive class score', () => {
  const response = PredictResponse.fromPartial({
    result: { $case: 'prediction', value: { classes: [{ index: 0, label: 'red', score: 0.7 }, { index: 2, label: 'blue', score: 0.2 }] } },
  });
  const record = batchRecord('x.png', response, 12.3456, 'blue', 'blue');
  assert.deepEqual([record.predicted, record.score, record.positiveScore], ['red', 0.7, 0.2]);
  assert.deepEqual(csvFields(record), ['x.png', 'blue', 'red', 0.7, 0.2, 'false', undefined, undefined, 12.346]);
  const failed = batchRecord('y.png', PredictResponse.fromPartial({ result: { $case: 'error', value: { code: 3, message: 'not an image' } } }), 1, undefined, undefined);
  assert.deepEqual([failed.errorCode, failed.error, failed.predicted], ['INVALID_ARGUMENT', 'not an image', undefined]);
});

test('option values are checked with messages that name the option', () => {
  assert.deepEqual(parseSize('--resize', '640x360'), { width: 640, height: 360 });
  assert.deepEqual(parseSize('--resize', '320'), { width: 320, height: 0 });
  assert.throws(() => parseSize('--resize', '640*360'), /^CliError: --resize must be WIDTHxHEIGHT or WIDTH .*got "640\*360"$/);
  assert.equal(parseFps('--fps', 'source'), 'source');
  assert.equal(parseFps('--fps', '12.5'), 12.5);
  assert.throws(() => parseFps('--fps', '0'), /--fps must be a rate above 0/);
  assert.throws(() => parseInteger('--window', '1.5', 1, 10), /--window must be an integer from 1 to 10, got "1.5"/);
});
