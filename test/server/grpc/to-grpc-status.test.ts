import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_DETAILS_BYTES, boundDetails } from '../../../server/grpc/to-grpc-status.js';

test('status messages are bounded once percent-encoded, whole characters kept', () => {
  assert.equal(boundDetails('model "add" is not in the repository'), 'model "add" is not in the repository');
  for (const unit of ['m', 'é', '\u{1F600}', 'a\u{1F600}']) {
    const text = boundDetails(`model "${unit.repeat(50_000)}" is not in the repository`);
    assert.ok(encodeURI(text).length <= MAX_DETAILS_BYTES, `${unit}: ${encodeURI(text).length}`);
    assert.ok(text.length > 100, 'not shortened more than needed');
    assert.match(text, /\[message shortened\]$/);
  }
});
