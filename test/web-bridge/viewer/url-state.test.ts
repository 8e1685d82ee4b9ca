import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type AddressBar, readUrlState, replaceUrlState, withUrlState } from '../../../web-bridge/viewer/url-state.js';

test('readUrlState: session, model, source and autostart, with what cannot be honoured said', () => {
  assert.deepEqual(readUrlState('?session=demo'), { session: 'demo', model: undefined, source: undefined, autostart: false, problems: [] });
  assert.deepEqual(readUrlState('?model=ppocr-det&source=synthetic&autostart=1'), { session: undefined, model: 'ppocr-det', source: 'synthetic', autostart: true, problems: [] });
  assert.equal(readUrlState('?autostart').autostart, true);
  assert.equal(readUrlState('?autostart=0').autostart, false);
  assert.equal(readUrlState('?autostart=false').autostart, false);
  assert.equal(readUrlState('?session=&model=%20').session, undefined, 'empty counts as absent');
  assert.equal(readUrlState('?session=a%20b%3Cc').session, 'a b<c');
  const odd = readUrlState('?source=webcam');
  assert.equal(odd.source, undefined);
  assert.deepEqual(odd.problems, ['source=webcam is not one of synthetic, camera, file']);
});

test('withUrlState sets and removes only the parameters given', () => {
  const base = 'http://localhost:8080/?session=demo&other=1';
  assert.equal(withUrlState(base, { model: 'ocr' }), 'http://localhost:8080/?session=demo&other=1&model=ocr');
  assert.equal(withUrlState(base, { session: undefined, source: 'camera' }), 'http://localhost:8080/?other=1&source=camera');
  assert.equal(withUrlState('http://localhost:8080/', { session: 'a&b' }), 'http://localhost:8080/?session=a%26b');
});

test('replaceUrlState replaces the address only when it changes', () => {
  const calls: string[] = [];
  const bar: AddressBar = { location: { href: 'http://h/?session=demo' }, history: { state: null, replaceState: (_d, _u, url) => calls.push(url) } };
  replaceUrlState(bar, { session: 'demo' });
  assert.deepEqual(calls, []);
  replaceUrlState(bar, { model: 'ocr' });
  assert.deepEqual(calls, ['http://h/?session=demo&model=ocr']);
});
