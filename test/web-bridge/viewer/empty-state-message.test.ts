import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type FrameAreaSituation, emptyStateFor } from '../../../web-bridge/viewer/empty-state-message.js';

const idle: FrameAreaSituation = { connected: true, mode: 'idle', session: '', wanted: undefined, listed: [], framesShown: 0 };
const text = (situation: FrameAreaSituation): string => {
  const message = emptyStateFor(situation);
  return message === undefined ? '' : [message.title, ...message.lines.map((parts) => parts.map((p) => (typeof p === 'string' ? p : p.code)).join(''))].join('\n');
};

test('nothing published: how to publish from a terminal, or send from the browser', () => {
  const shown = text(idle);
  assert.match(shown, /^Nothing is published yet/);
  assert.match(shown, /sluice stream <source> -m <model> --publish <name>/);
  assert.match(shown, /press Start/);
});

test('a session the address names and nobody publishes yet: waiting for it, by name', () => {
  const shown = text({ ...idle, wanted: 'cam' });
  assert.match(shown, /^Nothing is published as cam yet — waiting/);
  assert.match(shown, /--publish cam/);
  assert.match(text({ ...idle, wanted: 'cam', listed: undefined }), /^Looking for cam/);
});

test('streams published and none watched: one is offered, demo first', () => {
  assert.equal(emptyStateFor({ ...idle, listed: ['cam', 'demo'] })?.offer, 'demo');
  assert.equal(emptyStateFor({ ...idle, listed: ['cam'] })?.offer, 'cam');
});

test('live frames hide the message; before the first one, it says what is coming', () => {
  assert.equal(emptyStateFor({ ...idle, mode: 'watch', session: 'demo', wanted: 'demo', framesShown: 1 }), undefined);
  assert.match(text({ ...idle, mode: 'watch', session: 'demo', framesShown: 0 }), /^Watching demo/);
  assert.match(text({ ...idle, mode: 'source', session: 'browser-1', framesShown: 0 }), /^Sending frames as browser-1/);
  assert.match(text({ ...idle, connected: false, mode: 'idle', wanted: 'demo' }), /^Connecting/);
});
