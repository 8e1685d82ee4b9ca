/**
 * The dataset catalogue (`--datasets`) and its REST routes: both dataset forms, column kinds,
 * natural order, hidden entries, and that nothing but an item is ever read, nothing outside the
 * dataset folder, links included.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import sharp from 'sharp';
import { BridgeConfigError, createBridge, resolveBridgeConfig } from '../../web-bridge/index.js';
import { readBridgeFlags } from '../../web-bridge/bridge-flags.js';
import { DatasetCatalogue } from '../../web-bridge/datasets/dataset-catalogue.js';
import { DatasetError } from '../../web-bridge/datasets/dataset-error.js';
import type { DatasetItem, DatasetSummary } from '../../web-bridge/datasets/dataset.js';
import { bearer, writeTokenFile } from './bridge-fixture.js';

/** Nothing listens there: the dataset routes never call the server. */
const NO_SERVER = '127.0.0.1:1';

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-datasets-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function png(r: number, g: number, b: number): Promise<Buffer> {
  return sharp({ create: { width: 4, height: 4, channels: 3, background: { r, g, b } } }).png().toBuffer();
}

async function put(path: string, bytes: Buffer | string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, bytes);
}

/**
 * `root/animals`: class folders, with a hidden file and folder, a non-image, a nested folder and
 * a file beside the classes. `root/measured`: a labels.csv with metadata columns.
 */
async function writeDatasets(root: string): Promise<{ red: Buffer; blue: Buffer }> {
  const red = await png(255, 0, 0);
  const blue = await png(0, 0, 255);
  for (const name of ['img10.png', 'img2.png', 'img1.jpg']) await put(join(root, 'animals', 'cat', name), red);
  await put(join(root, 'animals', 'dog', 'a.webp'), blue);
  await put(join(root, 'animals', 'dog', '.hidden.png'), blue);
  await put(join(root, 'animals', 'dog', 'notes.txt'), 'not an image');
  await put(join(root, 'animals', 'dog', 'deeper', 'b.png'), blue);
  await put(join(root, 'animals', '.git', 'x.png'), blue);
  await put(join(root, 'animals', 'README.png'), blue);
  await put(join(root, '.cache', 'x', 'y.png'), blue);
  await put(join(root, 'notes.md'), 'a file beside the datasets');

  for (const name of ['s10.png', 's9.png', 's1.png', 'secret.png']) await put(join(root, 'measured', 'img', name), name === 's9.png' ? blue : red);
  await put(join(root, 'measured', '.hidden', 'h.png'), red);
  await put(
    join(root, 'measured', 'labels.csv'),
    [
      'file,label,energy,detector,mixed,empty,"note, quoted"',
      'img/s10.png,red,12.5,b,1,,"a, b"',
      './img/s9.png,blue,-3,a,x,,',
      'img/s1.png,red,99.75,a,2,,plain',
      '.hidden/h.png,red,1,a,3,,',
      '',
    ].join('\r\n'),
  );
  return { red, blue };
}

test('class folders: label from the folder, images in natural order, hidden entries and non-images skipped', async (t) => {
  const root = await tempDir(t);
  await writeDatasets(root);
  const catalogue = DatasetCatalogue.scan(root);
  assert.deepEqual(
    catalogue.list().map((d) => d.name),
    ['animals', 'measured'],
  );
  const animals = catalogue.get('animals');
  assert.deepEqual(
    animals.items.map((i) => [i.path, i.label]),
    [
      ['cat/img1.jpg', 'cat'],
      ['cat/img2.png', 'cat'],
      ['cat/img10.png', 'cat'],
      ['dog/a.webp', 'dog'],
    ],
  );
  assert.deepEqual(animals.summary, { name: 'animals', images: 4, classes: ['cat', 'dog'], columns: [] });
  assert.deepEqual(animals.items[0]?.metadata, {});
  assert.ok(Object.isFrozen(animals.items) && Object.isFrozen(animals.items[0]) && Object.isFrozen(animals.summary));
  assert.throws(() => catalogue.get('nope'), (err: unknown) => err instanceof DatasetError && err.code === 'UNKNOWN_DATASET');
});

test('labels.csv: metadata columns typed number or text, with their range or values; numbers as numbers', async (t) => {
  const root = await tempDir(t);
  await writeDatasets(root);
  const measured = DatasetCatalogue.scan(root).get('measured');
  assert.deepEqual(measured.summary, {
    name: 'measured',
    images: 3,
    classes: ['blue', 'red'],
    columns: [
      { name: 'energy', kind: 'number', min: -3, max: 99.75 },
      { name: 'detector', kind: 'text', values: ['a', 'b'] },
      { name: 'mixed', kind: 'text', values: ['1', '2', 'x'] },
      { name: 'empty', kind: 'text', values: [] },
      { name: 'note, quoted', kind: 'text', values: ['a, b', 'plain'] },
    ],
  });
  // The CSV's path (`./img/s9.png`) is normalized; the row under a hidden folder is skipped.
  assert.deepEqual(
    measured.items.map((i) => ({ ...i, metadata: { ...i.metadata } })),
    [
      { path: 'img/s1.png', label: 'red', metadata: { energy: 99.75, detector: 'a', mixed: '2', 'note, quoted': 'plain' } },
      { path: 'img/s9.png', label: 'blue', metadata: { energy: -3, detector: 'a', mixed: 'x' } },
      { path: 'img/s10.png', label: 'red', metadata: { energy: 12.5, detector: 'b', mixed: '1', 'note, quoted': 'a, b' } },
    ],
  );
  assert.equal(typeof measured.items[0]?.metadata['energy'], 'number');
  assert.equal(typeof measured.items[0]?.metadata['mixed'], 'string');
});

test('the REST routes list datasets and items, and serve an item with its content type', async (t) => {
  const root = await tempDir(t);
  const { blue } = await writeDatasets(root);
  const app = await createBridge({ server: NO_SERVER, datasets: root });
  t.after(() => app.close());

  const list = await app.inject({ method: 'GET', url: '/api/datasets' });
  assert.equal(list.statusCode, 200);
  const { datasets } = list.json<{ datasets: DatasetSummary[] }>();
  assert.deepEqual(datasets.map((d) => [d.name, d.images]), [['animals', 4], ['measured', 3]]);
  assert.deepEqual(datasets[1]?.columns[0], { name: 'energy', kind: 'number', min: -3, max: 99.75 });

  const items = await app.inject({ method: 'GET', url: '/api/datasets/measured/items' });
  assert.equal(items.statusCode, 200);
  const body = items.json<{ items: DatasetItem[] }>();
  assert.deepEqual(body.items.map((i) => i.path), ['img/s1.png', 'img/s9.png', 'img/s10.png']);
  assert.deepEqual(body.items[2]?.metadata, { energy: 12.5, detector: 'b', mixed: '1', 'note, quoted': 'a, b' });

  const image = await app.inject({ method: 'GET', url: `/api/datasets/measured/image?path=${encodeURIComponent('img/s9.png')}` });
  assert.equal(image.statusCode, 200);
  assert.equal(image.headers['content-type'], 'image/png');
  assert.deepEqual(image.rawPayload, blue);
  const webp = await app.inject({ method: 'GET', url: '/api/datasets/animals/image?path=dog/a.webp' });
  assert.equal(webp.headers['content-type'], 'image/webp');

  const unknown = await app.inject({ method: 'GET', url: '/api/datasets/nope/items' });
  assert.equal(unknown.statusCode, 404);
  assert.equal(unknown.json<{ error: { code: string } }>().error.code, 'UNKNOWN_DATASET');
  const unknownImage = await app.inject({ method: 'GET', url: '/api/datasets/nope/image?path=img/s1.png' });
  assert.equal(unknownImage.json<{ error: { code: string } }>().error.code, 'UNKNOWN_DATASET');
});

test('only items are served: other files, paths outside the folder and links that now lead out are 404', async (t) => {
  const root = await tempDir(t);
  await writeDatasets(root);
  const outside = await tempDir(t);
  await writeFile(join(outside, 'secret.png'), await png(1, 2, 3));
  const app = await createBridge({ server: NO_SERVER, datasets: root });
  t.after(() => app.close());
  const refused = [
    'img/secret.png', // a file in the folder that labels.csv does not list
    'labels.csv',
    '../notes.md',
    'img/../img/s1.png',
    './img/s1.png',
    '/etc/passwd',
    join(outside, 'secret.png'),
    '.hidden/h.png',
    '',
  ];
  for (const path of refused) {
    const response = await app.inject({ method: 'GET', url: `/api/datasets/measured/image?path=${encodeURIComponent(path)}` });
    assert.equal(response.statusCode, 404, path);
    assert.equal(response.json<{ error: { code: string } }>().error.code, 'UNKNOWN_ITEM', path);
  }
  const noPath = await app.inject({ method: 'GET', url: '/api/datasets/measured/image' });
  assert.equal(noPath.statusCode, 404);
  const twice = await app.inject({ method: 'GET', url: '/api/datasets/measured/image?path=img/s1.png&path=img/s9.png' });
  assert.equal(twice.statusCode, 404);
  // An item replaced by a link out of the folder after the scan: checked again when read.
  await rm(join(root, 'measured', 'img', 's1.png'));
  await symlink(join(outside, 'secret.png'), join(root, 'measured', 'img', 's1.png'));
  const swapped = await app.inject({ method: 'GET', url: '/api/datasets/measured/image?path=img/s1.png' });
  assert.equal(swapped.statusCode, 404);
  assert.equal(swapped.json<{ error: { code: string } }>().error.code, 'UNKNOWN_ITEM');
  // A removed item.
  await rm(join(root, 'measured', 'img', 's10.png'));
  const removed = await app.inject({ method: 'GET', url: '/api/datasets/measured/image?path=img/s10.png' });
  assert.equal(removed.statusCode, 404);
  assert.equal(removed.json<{ error: { code: string } }>().error.code, 'ITEM_UNREADABLE');
});

test('an invalid datasets folder fails the start, naming options.datasets and the folder', async (t) => {
  const refusedNaming = (what: RegExp) => (err: unknown) => {
    assert.ok(err instanceof BridgeConfigError, String(err));
    assert.equal(err.option, 'options.datasets');
    assert.match(err.message, what);
    return true;
  };
  const missing = join(tmpdir(), 'sluice-no-such-datasets');
  assert.throws(() => resolveBridgeConfig({ server: NO_SERVER, datasets: missing }), refusedNaming(/sluice-no-such-datasets: ENOENT/));
  assert.throws(() => resolveBridgeConfig({ server: NO_SERVER, datasets: '' }), refusedNaming(/folder path/));

  const cases: [string, Record<string, string | Buffer>, RegExp][] = [
    ['empty', { 'empty/README.md': 'nothing' }, /empty has neither a labels\.csv nor class folders/],
    ['escape', { 'escape/labels.csv': 'file,label\n../x.png,red\n' }, /escape\/labels\.csv row 1: "\.\.\/x\.png" must lie inside/],
    ['missing', { 'missing/labels.csv': 'file,label\nnope.png,red\n' }, /missing\/labels\.csv row 1: .*nope\.png cannot be read \(ENOENT\)/],
    ['header', { 'header/labels.csv': 'path,label\na.png,red\n' }, /header\/labels\.csv needs a header row with a file and a label column/],
    ['unlabelled', { 'unlabelled/labels.csv': 'file,label\na.png,\n', 'unlabelled/a.png': await png(0, 0, 0) }, /row 1 needs a file and a label/],
    ['twice', { 'twice/labels.csv': 'file,label\na.png,red\n./a.png,red\n', 'twice/a.png': await png(0, 0, 0) }, /row 2: "\.\/a\.png" is listed twice/],
    ['text', { 'text/labels.csv': 'file,label\nnotes.txt,red\n', 'text/notes.txt': 'x' }, /"notes\.txt" is not an image/],
  ];
  for (const [name, files, message] of cases) {
    const root = await tempDir(t);
    for (const [path, content] of Object.entries(files)) await put(join(root, path), content);
    assert.throws(() => resolveBridgeConfig({ server: NO_SERVER, datasets: root }), refusedNaming(message), name);
  }

  // Links: one out of the dataset folder is refused, one inside it is an image like any other.
  const root = await tempDir(t);
  const outside = await tempDir(t);
  await put(join(outside, 'x.png'), await png(0, 0, 0));
  await put(join(root, 'linked', 'red', 'a.png'), await png(255, 0, 0));
  await symlink(join(outside, 'x.png'), join(root, 'linked', 'red', 'b.png'));
  assert.throws(() => resolveBridgeConfig({ server: NO_SERVER, datasets: root }), refusedNaming(/linked\/red\/b\.png lies outside the dataset folder/));
  await rm(join(root, 'linked', 'red', 'b.png'));
  await symlink(join(root, 'linked', 'red', 'a.png'), join(root, 'linked', 'red', 'b.png'));
  assert.deepEqual(resolveBridgeConfig({ server: NO_SERVER, datasets: root }).datasets.get('linked').items.map((i) => i.path), ['red/a.png', 'red/b.png']);
});

test('the dataset routes need the infer role; without --datasets the list is empty', async (t) => {
  const root = await tempDir(t);
  await writeDatasets(root);
  const alice = { name: 'alice', token: 'alice-token-0123456789', roles: ['infer'] } as const;
  const walt = { name: 'walt', token: 'walt-token-0123456789', roles: ['watch'] } as const;
  const tokenFile = await writeTokenFile(t, [alice, walt]);
  const app = await createBridge({ server: NO_SERVER, datasets: root, tokenFile });
  t.after(() => app.close());
  for (const url of ['/api/datasets', '/api/datasets/animals/items', '/api/datasets/animals/image?path=dog/a.webp']) {
    assert.equal((await app.inject({ method: 'GET', url })).statusCode, 401, url);
    const denied = await app.inject({ method: 'GET', url, headers: bearer(walt) });
    assert.equal(denied.statusCode, 403, url);
    assert.equal(denied.json<{ error: { code: string } }>().error.code, 'PERMISSION_DENIED');
    assert.equal((await app.inject({ method: 'GET', url, headers: bearer(alice) })).statusCode, 200, url);
  }
  const bare = await createBridge({ server: NO_SERVER });
  t.after(() => bare.close());
  assert.deepEqual((await bare.inject({ method: 'GET', url: '/api/datasets' })).json(), { datasets: [] });
});

test('--datasets and SLUICE_BRIDGE_DATASETS set the folder, the flag first', () => {
  assert.equal(readBridgeFlags(['--datasets', 'a'], { SLUICE_BRIDGE_DATASETS: 'b' }).options.datasets, 'a');
  assert.equal(readBridgeFlags([], { SLUICE_BRIDGE_DATASETS: 'b' }).options.datasets, 'b');
  assert.equal(readBridgeFlags([], {}).options.datasets, undefined);
});
