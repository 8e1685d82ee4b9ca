import assert from 'node:assert/strict';
import { test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { grpcStatusName } from '../../../client/metrics/grpc-status-name.js';

test('names every code as grpc-js does, and codes outside the table as their number', () => {
  for (const code of [-1, ...Array.from({ length: 20 }, (_, i) => i), 1.5, 999]) {
    assert.equal(grpcStatusName(code), status[code] ?? String(code), `code ${code}`);
  }
  assert.equal(grpcStatusName(5), 'NOT_FOUND');
  assert.equal(grpcStatusName(17), '17');
});
