import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SluiceError, TokenTable } from '../../../server/index.js';

const OPS = 'ops-token-0123456789abcdef';
const CAMERA = 'camera-token-0123456789abcdef';

function isConfigError(pattern: RegExp): (err: unknown) => boolean {
  return (err: unknown) => err instanceof SluiceError && err.code === 'INVALID_CONFIG' && pattern.test(err.message);
}

test('tokens given in clear or as SHA-256 identify their principal with its roles', () => {
  const digest = createHash('sha256').update(CAMERA).digest('hex');
  const table = TokenTable.parse(
    `tokens:\n  - name: ops\n    token: ${OPS}\n    roles: [infer, watch, admin]\n  - name: cameras\n    sha256: ${digest}\n    roles: [infer]\n`,
    'tokens.yaml',
  );
  assert.equal(table.size, 2);
  assert.equal(table.identify(OPS)?.name, 'ops');
  assert.deepEqual([...(table.identify(OPS)?.roles ?? [])], ['infer', 'watch', 'admin']);
  assert.equal(table.identify(CAMERA)?.name, 'cameras');
  assert.deepEqual([...(table.identify(CAMERA)?.roles ?? [])], ['infer']);
  assert.equal(table.identify(`${OPS}x`), undefined);
  assert.equal(table.identify(''), undefined);
});

test('JSON token files are read too', () => {
  const table = TokenTable.parse(JSON.stringify({ tokens: [{ name: 'viewer', token: OPS, roles: ['watch'] }] }), 'tokens.json');
  assert.equal(table.identify(OPS)?.name, 'viewer');
});

test('invalid token files are refused with the file and the entry named, never the token', () => {
  const cases: [string, RegExp][] = [
    ['tokens: []', /t\.yaml: must have a non-empty list under `tokens`/],
    ['nope: 1', /non-empty list under `tokens`/],
    [`tokens:\n  - name: a\n    token: short\n    roles: [infer]`, /tokens\[0\]\.token \(a\) must be at least 16 characters/],
    [`tokens:\n  - name: a\n    roles: [infer]`, /tokens\[0\] \(a\) must have exactly one of token and sha256/],
    [`tokens:\n  - name: a\n    token: ${OPS}\n    sha256: ${'0'.repeat(64)}\n    roles: [infer]`, /exactly one of token and sha256/],
    [`tokens:\n  - name: a\n    sha256: xyz\n    roles: [infer]`, /tokens\[0\]\.sha256 \(a\) must be 64 hexadecimal digits/],
    [`tokens:\n  - name: a\n    token: ${OPS}\n    roles: [root]`, /"root" is not a role \(known: infer, watch, admin\)/],
    [`tokens:\n  - name: a\n    token: ${OPS}\n    roles: []`, /tokens\[0\]\.roles \(a\) must be a non-empty list/],
    [`tokens:\n  - name: a\n    token: ${OPS}\n    roles: [infer]\n    expires: never`, /tokens\[0\]: expires is not a field/],
    [`tokens:\n  - name: a\n    token: ${OPS}\n    roles: [infer]\n  - name: a\n    token: ${CAMERA}\n    roles: [infer]`, /the name "a" is used twice/],
    [`tokens:\n  - name: a\n    token: ${OPS}\n    roles: [infer]\n  - name: b\n    token: ${OPS}\n    roles: [watch]`, /b: the same token is listed twice/],
    [`tokens:\n  - name: a\n    token: "${OPS}\n    roles: [infer]`, /not valid YAML or JSON \(line \d+\)/],
  ];
  for (const [text, pattern] of cases) {
    assert.throws(() => TokenTable.parse(text, 't.yaml'), isConfigError(pattern), text);
    try {
      TokenTable.parse(text, 't.yaml');
    } catch (err: unknown) {
      assert.ok(!(err as Error).message.includes(OPS), `the message shows a token: ${(err as Error).message}`);
    }
  }
});

test('load names a missing file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-tokens-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await assert.rejects(TokenTable.load(join(dir, 'absent.yaml')), isConfigError(/absent\.yaml: cannot read the token file: ENOENT/));
  const path = join(dir, 'tokens.yaml');
  await writeFile(path, `tokens:\n  - {name: a, token: ${OPS}, roles: [admin]}\n`);
  assert.equal((await TokenTable.load(path)).identify(OPS)?.name, 'a');
});
