import assert from 'node:assert/strict';
import { test } from 'node:test';
import { globToRegExp, isGlob, splitGlob } from '../../../client/sources/glob-pattern.js';

test('glob patterns match whole relative paths', () => {
  const cases: [string, string, boolean][] = [
    ['*.png', 'a.png', true],
    ['*.png', 'dir/a.png', false],
    ['**/*.png', 'a.png', true],
    ['**/*.png', 'x/y/a.png', true],
    ['*/img_?.jpg', 'red/img_1.jpg', true],
    ['*/img_?.jpg', 'red/img_10.jpg', false],
    ['frame[0-4].png', 'frame3.png', true],
    ['frame[!0-4].png', 'frame3.png', false],
    ['*.{png,jpg}', 'a.jpg', true],
    ['*.{png,jpg}', 'a.webp', false],
    ['a+b (1).png', 'a+b (1).png', true],
  ];
  for (const [pattern, path, expected] of cases) assert.equal(globToRegExp(pattern).test(path), expected, `${pattern} vs ${path}`);
});

test('a pattern is split into the folder to walk and the rest', () => {
  assert.deepEqual(splitGlob('data/set/*/img_*.png'), { base: 'data/set', relative: '*/img_*.png' });
  assert.deepEqual(splitGlob('*.png'), { base: '.', relative: '*.png' });
  assert.deepEqual(splitGlob('/abs/**/x.png'), { base: '/abs', relative: '**/x.png' });
  assert.equal(isGlob('plain/dir'), false);
  assert.equal(isGlob('dir/{a,b}'), true);
});
