import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { type BindingConfig, checkBindings, parseBinding, parseBindingSpec } from '../../../server/ingest/binding-config.js';
import { readConfigFile, resolveServerConfig, SluiceError } from '../../../server/index.js';

const NATS = 'nats://127.0.0.1:4222';
const SPEC = 'name=frames,stream=IN,subject=in.>,model=tiny-cnn,results=out.frames';

/** An INVALID_CONFIG error whose message names where the value came from (and what is wrong). */
const isConfigError = (...patterns: RegExp[]) => (err: unknown) => {
  assert.ok(err instanceof SluiceError, `a SluiceError, got ${String(err)}`);
  assert.equal(err.code, 'INVALID_CONFIG');
  for (const pattern of patterns) assert.match(err.message, pattern);
  return true;
};

async function tempFile(t: TestContext, name: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bindings-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

test('a binding spec gets its defaults filled in, and the result is frozen', () => {
  const binding = parseBindingSpec(SPEC, '--bind #1');
  const expected: BindingConfig = {
    name: 'frames',
    stream: 'IN',
    subject: 'in.>',
    consumer: 'sluice-frames',
    model: 'tiny-cnn',
    input: 'image',
    results: 'out.frames',
    resultsStream: 'IN_RESULTS',
    deadLetter: '',
    format: 'json',
    create: false,
    maxInFlight: 32,
    maxInFlightBytes: 0,
    ackWaitMs: 30_000,
    maxDeliver: 5,
    nakDelayMs: 1000,
    timeoutMs: 60_000,
    objectStore: 'sluice-frames',
  };
  assert.deepEqual({ ...binding }, expected);
  assert.ok(Object.isFrozen(binding));
  // No model: every input must name one in its header.
  assert.equal(parseBindingSpec('name=x,stream=S,subject=s.*,results=r', 'here').model, '');
});

test('every setting can be given, spaces around pairs are ignored, and a bare create means true', () => {
  const binding = parseBindingSpec(
    ' name = cams , stream=CAMS, subject=cams.*.jpeg, consumer=workers, model=tiny-cnn, input=predict-request, results=res.cams, ' +
      'resultsStream=RES, deadLetter=dead.cams, format=protobuf, create, maxInFlight=4, maxInFlightBytes=1048576, ackWaitMs=5000, ' +
      'maxDeliver=9, nakDelayMs=0, timeoutMs=250, objectStore=big,',
    '--bind #1',
  );
  assert.deepEqual(
    { ...binding },
    {
      name: 'cams', stream: 'CAMS', subject: 'cams.*.jpeg', consumer: 'workers', model: 'tiny-cnn', input: 'predict-request', results: 'res.cams',
      resultsStream: 'RES', deadLetter: 'dead.cams', format: 'protobuf', create: true, maxInFlight: 4, maxInFlightBytes: 1_048_576, ackWaitMs: 5000,
      maxDeliver: 9, nakDelayMs: 0, timeoutMs: 250, objectStore: 'big',
    },
  );
  for (const [flag, value] of [['create=', true], ['create=true', true], ['create=yes', true], ['create=false', false], ['create=0', false]] as const) {
    assert.equal(parseBindingSpec(`${SPEC},${flag}`, 'here').create, value, flag);
  }
  assert.throws(() => parseBindingSpec(`${SPEC},create=maybe`, '--bind #1'), isConfigError(/--bind #1 \(binding frames\): create must be true or false/));
  // From a file, YAML booleans and numbers are taken as they are.
  const fromFile = parseBinding({ name: 'f', stream: 'S', subject: 's.>', results: 'r', create: true, maxInFlight: 2 }, 'f.yaml: bindings[0]');
  assert.deepEqual([fromFile.create, fromFile.maxInFlight], [true, 2]);
});

test('each required setting, missing, is refused naming the setting and where the binding came from', () => {
  const required = ['name', 'stream', 'subject', 'results'];
  for (const field of required) {
    const spec = SPEC.split(',').filter((pair) => !pair.startsWith(`${field}=`)).join(',');
    // The binding's name is named too, once it is known.
    const at = field === 'name' ? /^--bind #2: / : /^--bind #2 \(binding frames\): /;
    assert.throws(() => parseBindingSpec(spec, '--bind #2'), isConfigError(at, new RegExp(`\\b${field} is required`)), field);
    // Empty counts as missing.
    assert.throws(() => parseBindingSpec(`${spec},${field}=`, '--bind #2'), isConfigError(new RegExp(`\\b${field} is required`)), `${field}=`);
  }
  const raw = { name: 'frames', stream: 'IN', subject: 'in.>', results: 'out.frames' };
  for (const field of required) {
    const { [field as keyof typeof raw]: _dropped, ...rest } = raw;
    assert.throws(() => parseBinding(rest, 'sluice.yaml: bindings[3]'), isConfigError(/^sluice\.yaml: bindings\[3\]/, new RegExp(`\\b${field} is required`)), field);
  }
});

test('unknown settings, bad names, subjects and values are refused', () => {
  const bad: [string, RegExp][] = [
    [`${SPEC},maxInflight=4`, /maxInflight is not a binding setting \(known: name, stream/],
    [`${SPEC},results=out.*`, /results "out\.\*" is not valid here/],
    [`${SPEC},results=out.>`, /results "out\.>" is not valid here/],
    [`${SPEC},deadLetter=dead.*`, /deadLetter "dead\.\*" is not valid here/],
    [`${SPEC},deadLetter=out.frames`, /deadLetter must differ from results/],
    [`${SPEC},subject=in..x`, /subject "in\.\.x" is not valid here/],
    [`${SPEC},subject=in.>.x`, /subject "in\.>\.x" is not valid here/],
    [`${SPEC},subject=in*`, /subject "in\*" is not valid here/],
    [`${SPEC},subject=in.`, /subject "in\." is not valid here/],
    [`${SPEC},subject=in frames`, /subject "in frames" is not valid here/],
    [`${SPEC},name=a.b`, /name "a\.b" is not valid here/],
    [`${SPEC},name=${'n'.repeat(65)}`, /name "n+" is not valid here/],
    [`${SPEC},stream=IN.X`, /stream "IN\.X" is not valid here/],
    [`${SPEC},stream=IN/X`, /stream "IN\/X" is not valid here/],
    [`${SPEC},consumer=a*`, /consumer "a\*" is not valid here/],
    [`${SPEC},resultsStream=R>`, /resultsStream "R>" is not valid here/],
    [`${SPEC},format=xml`, /format must be one of json, protobuf, got "xml"/],
    [`${SPEC},input=video`, /input must be one of image, predict-request, got "video"/],
    [`${SPEC},maxInFlight=0`, /maxInFlight must be an integer from 1 to 10000, got "0"/],
    [`${SPEC},maxInFlight=2.5`, /maxInFlight must be an integer/],
    [`${SPEC},maxInFlight=lots`, /maxInFlight must be an integer/],
    [`${SPEC},ackWaitMs=999`, /ackWaitMs must be an integer from 1000/],
    [`${SPEC},maxDeliver=0`, /maxDeliver must be an integer from 1 to 1000/],
    [`${SPEC},timeoutMs=99`, /timeoutMs must be an integer from 100/],
    [`${SPEC},nakDelayMs=-1`, /nakDelayMs must be an integer from 0/],
  ];
  for (const [spec, pattern] of bad) assert.throws(() => parseBindingSpec(spec, '--bind #1'), isConfigError(/^--bind #1/, pattern), spec);
  // A subject filter may use `*` for a whole token and `>` as its last token (`>` alone would take the results too).
  for (const subject of ['in', 'in.*', 'in.*.jpeg', 'in.>', '*', '*.*.>', 'cam-1.frames_raw']) {
    assert.equal(parseBindingSpec(`${SPEC},subject=${subject}`, 'here').subject, subject);
  }
  // A file's mapping: values that are neither text nor numbers.
  assert.throws(() => parseBinding({ name: 'f', stream: ['IN'], subject: 's', results: 'r' }, 'f.yaml: bindings[0]'), isConfigError(/stream must be a string/));
  assert.throws(() => parseBinding({ name: 'f', stream: 'S', subject: 's', results: 'r', oops: 1 }, 'f.yaml: bindings[0]'), isConfigError(/^f\.yaml: bindings\[0\]: oops is not a binding setting/));
  // YAML's true and null are not counts (Number() would read them as 1 and 0).
  assert.throws(() => parseBinding({ name: 'f', stream: 'S', subject: 's', results: 'r', maxInFlight: true }, 'f.yaml: bindings[0]'), isConfigError(/maxInFlight must be an integer/));
  assert.throws(() => parseBinding({ name: 'f', stream: 'S', subject: 's', results: 'r', nakDelayMs: null }, 'f.yaml: bindings[0]'), isConfigError(/nakDelayMs must be an integer/));
  assert.equal(parseBinding({ name: 'f', stream: 'S', subject: 's', results: 'r', maxInFlight: 9 }, 'f.yaml: bindings[0]').maxInFlight, 9);
});

test('results published where the binding reads its inputs are refused: they would be consumed as inputs', () => {
  for (const [subject, results] of [['in.>', 'in.results'], ['in.*', 'in.results'], ['>', 'out'], ['*.frames', 'out.frames'], ['out.frames', 'out.frames']]) {
    assert.throws(() => parseBindingSpec(`name=f,stream=IN,subject=${subject},results=${results}`, '--bind #1'), isConfigError(/--bind #1 \(binding f\): results .* subject/), `${subject} / ${results}`);
  }
  assert.throws(() => parseBindingSpec(`${SPEC},deadLetter=in.dead`, '--bind #1'), isConfigError(/deadLetter .* subject/));
  // Beside the filter, not under it: fine.
  for (const [subject, results] of [['in.*', 'in.a.b'], ['in.frames.>', 'in.results'], ['in.>', 'in'], ['*.frames', 'frames']]) {
    assert.equal(parseBindingSpec(`name=f,stream=IN,subject=${subject},results=${results}`, 'here').results, results, `${subject} / ${results}`);
  }
});

test('bindings of one server need distinct names and distinct consumers', () => {
  const a = parseBindingSpec(SPEC, 'a');
  const b = parseBindingSpec('name=other,stream=IN,subject=in.other.>,results=out.other', 'b');
  assert.deepEqual(checkBindings([a, b]).map((x) => x.name), ['frames', 'other']);
  assert.ok(Object.isFrozen(checkBindings([a, b])));
  assert.throws(() => checkBindings([a, parseBindingSpec(`${SPEC.replace('stream=IN', 'stream=OTHER')}`, 'b')]), isConfigError(/^bindings: two bindings are named "frames"/));
  const sameConsumer = parseBindingSpec('name=other,stream=IN,subject=in.>,consumer=sluice-frames,results=out.other', 'b');
  assert.throws(() => checkBindings([a, sameConsumer]), isConfigError(/^bindings: two bindings share the consumer IN\/sluice-frames/));
  // The same consumer name on another stream is another consumer.
  const otherStream = parseBindingSpec('name=other,stream=IN2,subject=in2.>,consumer=sluice-frames,results=out.other', 'b');
  assert.equal(checkBindings([a, otherStream]).length, 2);
  // Through the configuration: the flags' bindings are checked together.
  assert.throws(() => resolveServerConfig({ flags: { nats: NATS, bindings: [SPEC, SPEC] } }), isConfigError(/two bindings are named "frames"/));
});

test('resolveServerConfig reads bindings from --bind, SLUICE_BINDINGS or the file, naming the source of a bad one', async (t) => {
  const config = resolveServerConfig({ flags: { nats: NATS, bindings: [SPEC, 'name=b,stream=B,subject=b.>,results=out.b,create'] } });
  assert.deepEqual(config.bindings.map((b) => [b.name, b.create]), [['frames', false], ['b', true]]);
  assert.ok(Object.isFrozen(config.bindings));
  assert.deepEqual(resolveServerConfig({}).bindings, []);

  assert.throws(() => resolveServerConfig({ flags: { nats: NATS, bindings: [SPEC, 'name=b,stream=B,results=out.b'] } }), isConfigError(/^--bind #2 \(binding b\): subject is required/));
  assert.throws(
    () => resolveServerConfig({ env: { SLUICE_NATS: NATS, SLUICE_BINDINGS: `${SPEC};name=b,stream=B,subject=b.>` } }),
    isConfigError(/^environment variable SLUICE_BINDINGS, binding #2 \(binding b\): results is required/),
  );
  // Several bindings in the variable, separated by `;` (empty ones skipped).
  const fromEnv = resolveServerConfig({ env: { SLUICE_NATS: NATS, SLUICE_BINDINGS: `${SPEC};;name=b,stream=B,subject=b.>,results=out.b;` } });
  assert.deepEqual(fromEnv.bindings.map((b) => b.name), ['frames', 'b']);

  const path = await tempFile(t, 'sluice.yaml', [
    `nats: ${NATS}`,
    'bindings:',
    '  - { name: fromfile, stream: F, subject: f.>, results: out.f, create: true, maxInFlight: 3 }',
    '  - name: second',
    '    stream: G',
    '    subject: g.*',
    '    results: out.g',
    '',
  ].join('\n'));
  const file = await readConfigFile(path);
  const fromFile = resolveServerConfig({ file });
  assert.equal(fromFile.nats, NATS);
  assert.deepEqual(fromFile.bindings.map((b) => [b.name, b.create, b.maxInFlight, b.consumer]), [['fromfile', true, 3, 'sluice-fromfile'], ['second', false, 32, 'sluice-second']]);
  // The file's bad binding is named by its key.
  const bad = await tempFile(t, 'bad.yaml', `nats: ${NATS}\nbindings:\n  - { name: ok, stream: S, subject: s, results: r }\n  - { name: broken, stream: S, subject: t, results: r, window: 4 }\n`);
  const badFile = await readConfigFile(bad);
  assert.throws(() => resolveServerConfig({ file: badFile }), isConfigError(/bad\.yaml: bindings\[1\]: window is not a binding setting/));
  const unnamed = await tempFile(t, 'unnamed.yaml', `nats: ${NATS}\nbindings:\n  - { stream: S, subject: s, results: r }\n`);
  const unnamedFile = await readConfigFile(unnamed);
  assert.throws(() => resolveServerConfig({ file: unnamedFile }), isConfigError(/unnamed\.yaml: bindings\[0\]: name is required/));
});

test('flags win over the environment, which wins over the file: the first source with bindings gives all of them', async (t) => {
  const path = await tempFile(t, 'sluice.yaml', 'bindings:\n  - { name: file, stream: F, subject: f.>, results: out.f }\n');
  const file = await readConfigFile(path);
  const env = { SLUICE_NATS: NATS, SLUICE_BINDINGS: 'name=env,stream=E,subject=e.>,results=out.e' };
  const flags = { bindings: ['name=flag,stream=X,subject=x.>,results=out.x'] };
  const names = (config: ReturnType<typeof resolveServerConfig>): string[] => config.bindings.map((b) => b.name);
  assert.deepEqual(names(resolveServerConfig({ flags, env, file })), ['flag']);
  assert.deepEqual(names(resolveServerConfig({ env, file })), ['env']);
  assert.deepEqual(names(resolveServerConfig({ env: { SLUICE_NATS: NATS }, file })), ['file']);
  // An empty flag list or a blank variable leaves the next source in force.
  assert.deepEqual(names(resolveServerConfig({ flags: { bindings: [] }, env: { ...env, SLUICE_BINDINGS: '  ' }, file })), ['file']);
});

test('a configuration file whose bindings are not a list of mappings is refused', async (t) => {
  for (const [name, text] of [
    ['scalar.yaml', 'bindings: frames\n'],
    ['mapping.yaml', 'bindings:\n  name: frames\n  stream: IN\n'],
    ['list-of-specs.yaml', `bindings:\n  - "${SPEC}"\n`],
    ['nested.yaml', 'bindings:\n  - [name, frames]\n'],
  ]) {
    const path = await tempFile(t, name, text);
    await assert.rejects(readConfigFile(path), isConfigError(new RegExp(`${name.replace('.', '\\.')}: bindings must be a list of mappings`)), name);
  }
});

test('bindings need --nats, whose URLs are checked; a NATS client certificate needs its key', () => {
  assert.throws(() => resolveServerConfig({ flags: { bindings: [SPEC] } }), isConfigError(/bindings need a NATS server: set --nats \(or SLUICE_NATS\)/));
  assert.throws(() => resolveServerConfig({ flags: { nats: '', bindings: [SPEC] } }), isConfigError(/bindings need a NATS server/));
  // --nats alone, with no binding, is allowed.
  assert.equal(resolveServerConfig({ flags: { nats: NATS } }).bindings.length, 0);
  for (const nats of ['nats://127.0.0.1:4222', 'tls://nats.example:4443', 'ws://n:80', 'wss://n:443', 'localhost:4222', 'nats://a:1, nats://b:2', 'nats://user:pw@host:4222']) {
    assert.equal(resolveServerConfig({ flags: { nats, bindings: [SPEC] } }).nats, nats);
  }
  for (const nats of ['http://127.0.0.1:4222', 'nats://', 'nats://host:4222/path', 'localhost', 'nats://a:1,', 'nats://a b:1']) {
    assert.throws(() => resolveServerConfig({ flags: { nats } }), isConfigError(/^--nats must be NATS server URLs such as nats:\/\/127\.0\.0\.1:4222/), nats);
  }
  assert.throws(() => resolveServerConfig({ env: { SLUICE_NATS: 'http://x:1' } }), isConfigError(/^environment variable SLUICE_NATS must be NATS server URLs/));
  assert.throws(() => resolveServerConfig({ flags: { nats: NATS, natsCert: '/etc/cert.pem' } }), isConfigError(/--nats-cert and --nats-key go together/));
  assert.throws(() => resolveServerConfig({ env: { SLUICE_NATS_KEY: '/etc/key.pem' } }), isConfigError(/--nats-cert and --nats-key go together/));
  const tls = resolveServerConfig({ flags: { nats: NATS, natsCert: '/etc/cert.pem', natsKey: '/etc/key.pem', natsCa: '/etc/ca.pem' } });
  assert.deepEqual([tls.natsCert, tls.natsKey, tls.natsCa], ['/etc/cert.pem', '/etc/key.pem', '/etc/ca.pem']);
});
