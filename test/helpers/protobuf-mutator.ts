/**
 * A seeded, structure-aware mutator of protobuf wire bytes, for fuzz tests.
 *
 * A message is parsed into its fields (and the fields of nested messages, where a length-delimited
 * payload parses as one), mutated at the wire level — field numbers and wire types rewritten,
 * varints pushed to extremes, lengths that promise more than follows, fields duplicated, dropped,
 * swapped or borrowed from another message, group tags nested past any sane depth — and encoded
 * again; byte-level mutations (bit flips, truncation, insertion, deletion) apply on top. Every
 * choice comes from a `Prng`, so a seed replays the same sequence of inputs.
 */
import type { Prng } from './prng.js';
import {
  END_GROUP,
  FIXED32,
  FIXED64,
  LEN,
  START_GROUP,
  VARINT,
  type WireField,
  cloneField,
  concat,
  encodeFields,
  encodeTag,
  encodeVarint,
  fieldLists,
  parseFields,
} from './protobuf-wire.js';

/** Values that break code which assumes small, positive, 32-bit or 53-bit numbers. */
const EXTREME_VALUES: readonly bigint[] = [
  0n,
  1n,
  2n,
  0x7fn,
  0x80n,
  0xffn,
  2n ** 16n,
  2n ** 31n - 1n,
  2n ** 31n,
  2n ** 32n - 1n,
  2n ** 32n,
  2n ** 53n - 1n,
  2n ** 53n + 1n,
  2n ** 63n - 1n,
  2n ** 63n,
  2n ** 64n - 1n,
  -1n,
  -2n,
  -(2n ** 31n),
  -(2n ** 63n),
];

/** Lengths that promise more than any message holds, or a little more than this one does. */
function hugeLength(prng: Prng, actual: number): Uint8Array {
  const lengths = [actual + 1, actual + 7, actual * 2 + 1, 2 ** 24, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + actual, 2 ** 53];
  if (prng.chance(0.15)) return encodeVarint(2n ** 64n - 1n);
  if (prng.chance(0.1)) {
    // The true length in a needlessly long encoding: legal for decoders, odd for hand-written ones.
    const canonical = encodeVarint(BigInt(actual));
    const padded = new Uint8Array(Math.min(10, canonical.byteLength + prng.between(1, 5)));
    padded.set(canonical);
    for (let i = 0; i < padded.byteLength - 1; i++) padded[i] = (padded[i] as number) | 0x80;
    return padded;
  }
  return encodeVarint(BigInt(prng.pick(lengths)));
}

function fieldNumberFor(prng: Prng, current: number): number {
  const numbers = [1, 2, 3, 4, 5, 6, 7, 8, 15, 16, 19000, 2 ** 29 - 1, 2 ** 29, 2 ** 32 - 1];
  for (;;) {
    const n = prng.chance(0.8) ? prng.pick(numbers) : prng.between(1, 4096);
    if (n !== current) return n;
  }
}

/** A field of any wire type with a plausible body, or a group-tag bomb. */
function unknownField(prng: Prng): WireField {
  const number = fieldNumberFor(prng, 0);
  const wireType = prng.pick([VARINT, FIXED64, LEN, FIXED32, START_GROUP, END_GROUP, 6, 7]);
  const tag = encodeTag(number, wireType);
  const base = { number, wireType, children: undefined, lengthOverride: undefined };
  switch (wireType) {
    case VARINT:
      return { ...base, tag, data: encodeVarint(prng.pick(EXTREME_VALUES)), raw: false };
    case FIXED64:
      return { ...base, tag, data: prng.bytes(8), raw: false };
    case FIXED32:
      return { ...base, tag, data: prng.bytes(4), raw: false };
    case LEN:
      return { ...base, tag, data: prng.bytes(prng.below(32)), raw: false };
    default:
      return { ...base, tag, data: prng.bytes(prng.below(4)), raw: true };
  }
}

/** `depth` start-group tags, closed (correctly or not) or left open. */
function groupBomb(prng: Prng): { field: WireField; step: string } {
  const depth = prng.pick([1, 2, 99, 100, 101, 1000, 20_000]);
  const number = prng.between(1, 20);
  const open = encodeTag(number, START_GROUP);
  const close = encodeTag(prng.chance(0.8) ? number : number + 1, END_GROUP);
  const closed = prng.chance(0.7);
  const parts: Uint8Array[] = [];
  for (let i = 1; i < depth; i++) parts.push(open);
  if (closed) for (let i = 0; i < depth; i++) parts.push(close);
  const field: WireField = { tag: open, number, wireType: START_GROUP, data: concat(parts), children: undefined, lengthOverride: undefined, raw: true };
  return { field, step: `${depth} nested groups of field ${number}, ${closed ? 'closed' : 'left open'}` };
}

const ODD_STRINGS: readonly (string | Uint8Array)[] = [
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  '../add',
  'add/../add',
  'add\u0000',
  ' add',
  'ADD',
  'ppocr-det\n',
  '\u202eadd',
  '%s%n',
  'x'.repeat(70_000),
  Uint8Array.from([0xc3, 0x28, 0xff, 0xfe, 0xed, 0xa0, 0x80]),
  Uint8Array.from([0xf4, 0x90, 0x80, 0x80]),
];

type TreeMutation = (fields: WireField[], prng: Prng, donors: readonly WireField[][]) => string | undefined;

/** A random field anywhere in the tree, with the list that holds it. */
function anyField(fields: WireField[], prng: Prng, accept: (f: WireField) => boolean = () => true): { list: WireField[]; index: number; field: WireField } | undefined {
  const candidates: { list: WireField[]; index: number; field: WireField }[] = [];
  for (const list of fieldLists(fields)) list.forEach((field, index) => accept(field) && candidates.push({ list, index, field }));
  return candidates.length === 0 ? undefined : prng.pick(candidates);
}

const TREE_MUTATIONS: Readonly<Record<string, TreeMutation>> = {
  'field-number': (fields, prng) => {
    const at = anyField(fields, prng, (f) => !f.raw);
    if (at === undefined) return undefined;
    const number = fieldNumberFor(prng, at.field.number);
    at.list[at.index] = { ...at.field, tag: encodeTag(number, at.field.wireType) };
    return `field ${at.field.number} renumbered ${number}`;
  },
  'wire-type': (fields, prng) => {
    const at = anyField(fields, prng, (f) => !f.raw);
    if (at === undefined) return undefined;
    const wireType = (at.field.wireType + prng.between(1, 7)) % 8;
    at.field.tag = encodeTag(at.field.number, wireType);
    return `field ${at.field.number} wire type ${at.field.wireType} -> ${wireType} (body kept)`;
  },
  'retype': (fields, prng) => {
    // A well-formed field of the wrong type: decoders that trust the schema over the tag break.
    const at = anyField(fields, prng, (f) => !f.raw);
    if (at === undefined) return undefined;
    const wireType = prng.pick([VARINT, FIXED64, LEN, FIXED32].filter((w) => w !== at.field.wireType));
    const data = wireType === VARINT ? encodeVarint(prng.pick(EXTREME_VALUES)) : wireType === LEN ? prng.bytes(prng.below(16)) : prng.bytes(wireType === FIXED64 ? 8 : 4);
    at.list[at.index] = { tag: encodeTag(at.field.number, wireType), number: at.field.number, wireType, data, children: undefined, lengthOverride: undefined, raw: false };
    return `field ${at.field.number} retyped ${at.field.wireType} -> ${wireType}`;
  },
  'extreme-varint': (fields, prng) => {
    const at = anyField(fields, prng, (f) => !f.raw && (f.wireType === VARINT || (f.wireType === LEN && f.children === undefined)));
    if (at === undefined) return undefined;
    if (at.field.wireType === VARINT) {
      const value = prng.pick(EXTREME_VALUES);
      at.field.data = encodeVarint(value);
      return `field ${at.field.number} varint ${value}`;
    }
    // A payload rewritten as packed varints: a packed `repeated int64 shape` full of extremes.
    const values = Array.from({ length: prng.between(1, 6) }, () => prng.pick(EXTREME_VALUES));
    at.field.data = concat(values.map(encodeVarint));
    return `field ${at.field.number} packed [${values.join(', ')}]`;
  },
  'huge-length': (fields, prng) => {
    const at = anyField(fields, prng, (f) => !f.raw && f.wireType === LEN);
    if (at === undefined) return undefined;
    const size = at.field.children !== undefined ? encodeFields(at.field.children).byteLength : at.field.data.byteLength;
    at.field.lengthOverride = hugeLength(prng, size);
    return `field ${at.field.number} length ${size} declared as ${Buffer.from(at.field.lengthOverride).toString('hex')}`;
  },
  'duplicate': (fields, prng) => {
    const at = anyField(fields, prng);
    if (at === undefined) return undefined;
    const copies = prng.chance(0.8) ? 1 : prng.pick([2, 16, 200]);
    for (let i = 0; i < copies; i++) at.list.splice(prng.below(at.list.length + 1), 0, cloneField(at.field));
    return `field ${at.field.number} duplicated x${copies}`;
  },
  'drop': (fields, prng) => {
    const at = anyField(fields, prng);
    if (at === undefined) return undefined;
    at.list.splice(at.index, 1);
    return `field ${at.field.number} dropped`;
  },
  'swap': (fields, prng) => {
    const list = prng.pick(fieldLists(fields).filter((l) => l.length >= 2).concat([[]]));
    if (list.length < 2) return undefined;
    const i = prng.below(list.length);
    const j = prng.below(list.length);
    [list[i], list[j]] = [list[j] as WireField, list[i] as WireField];
    return `fields ${i} and ${j} swapped`;
  },
  'donor': (fields, prng, donors) => {
    // A field of another request grafted in, at any level: an image in a tensor request, a tensor in an image...
    const donor = donors.length > 0 ? anyField(prng.pick(donors), prng) : undefined;
    if (donor === undefined) return undefined;
    const list = prng.pick(fieldLists(fields));
    list.splice(prng.below(list.length + 1), 0, cloneField(donor.field));
    return `grafted a field ${donor.field.number}`;
  },
  'payload': (fields, prng) => {
    const at = anyField(fields, prng, (f) => !f.raw && f.wireType === LEN);
    if (at === undefined) return undefined;
    const choice = prng.below(4);
    at.field.children = undefined;
    if (choice === 0) at.field.data = new Uint8Array(0);
    else if (choice === 1) at.field.data = prng.bytes(prng.between(1, 64));
    else if (choice === 2) at.field.data = at.field.data.subarray(0, prng.below(at.field.data.byteLength + 1));
    else {
      // The payload repeated: more bytes than the shape or image says.
      const times = prng.between(2, 8);
      at.field.data = concat(Array.from({ length: times }, () => at.field.data));
    }
    return `field ${at.field.number} payload rewritten (${at.field.data.byteLength} bytes)`;
  },
  'odd-string': (fields, prng) => {
    // Names that trip lookups in plain objects, paths, control bytes, invalid UTF-8, long text.
    const at = anyField(fields, prng, (f) => !f.raw && f.wireType === LEN);
    if (at === undefined) return undefined;
    const text = prng.pick(ODD_STRINGS);
    at.field.children = undefined;
    at.field.data = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
    return `field ${at.field.number} payload ${JSON.stringify(Buffer.from(at.field.data).toString('utf8').slice(0, 40))}`;
  },
  'unknown-field': (fields, prng) => {
    const list = prng.pick(fieldLists(fields));
    const field = unknownField(prng);
    list.splice(prng.below(list.length + 1), 0, field);
    return `unknown field ${field.number} wire type ${field.wireType}`;
  },
  'group-bomb': (fields, prng) => {
    const list = prng.pick(fieldLists(fields));
    const { field, step } = groupBomb(prng);
    list.splice(prng.below(list.length + 1), 0, field);
    return step;
  },
};

type ByteMutation = (bytes: Uint8Array, prng: Prng) => { bytes: Uint8Array; step: string };

const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x08, 0x0a, 0x12, 0x1a, 0x22, 0x2a, 0x32];

const BYTE_MUTATIONS: Readonly<Record<string, ByteMutation>> = {
  'bit-flip': (bytes, prng) => {
    const out = bytes.slice();
    const flips = prng.between(1, 4);
    for (let i = 0; i < flips && out.byteLength > 0; i++) {
      const at = prng.below(out.byteLength);
      out[at] = (out[at] as number) ^ (1 << prng.below(8));
    }
    return { bytes: out, step: `${flips} bit flips` };
  },
  'truncate': (bytes, prng) => {
    const at = prng.below(bytes.byteLength + 1);
    return { bytes: bytes.slice(0, at), step: `truncated to ${at}` };
  },
  'insert': (bytes, prng) => {
    const at = prng.below(bytes.byteLength + 1);
    const n = prng.between(1, 16);
    const inserted = prng.chance(0.5) ? prng.bytes(n) : Uint8Array.from({ length: n }, () => prng.pick(INTERESTING_BYTES));
    return { bytes: concat([bytes.subarray(0, at), inserted, bytes.subarray(at)]), step: `${n} bytes inserted at ${at}` };
  },
  'delete': (bytes, prng) => {
    const at = prng.below(bytes.byteLength + 1);
    const n = prng.between(1, 16);
    return { bytes: concat([bytes.subarray(0, at), bytes.subarray(at + n)]), step: `${n} bytes deleted at ${at}` };
  },
  'overwrite': (bytes, prng) => {
    const out = bytes.slice();
    const at = prng.below(out.byteLength + 1);
    const n = prng.between(1, 8);
    for (let i = at; i < Math.min(out.byteLength, at + n); i++) out[i] = prng.pick(INTERESTING_BYTES);
    return { bytes: out, step: `${n} bytes overwritten at ${at}` };
  },
};

const TREE_NAMES = Object.keys(TREE_MUTATIONS);
const BYTE_NAMES = Object.keys(BYTE_MUTATIONS);

/** A mutated message and what was done to it. */
export interface Mutant {
  readonly bytes: Buffer;
  readonly steps: readonly string[];
}

/** Mutates encoded messages; `donors` are messages whose fields may be grafted into others. */
export class ProtobufMutator {
  readonly #donors: WireField[][];

  constructor(donors: readonly Uint8Array[]) {
    this.#donors = donors.map((d) => parseFields(Uint8Array.from(d))).filter((f): f is WireField[] => f !== undefined);
  }

  /** One to four mutations of `message`, mostly structural, sometimes byte-level. */
  mutate(message: Uint8Array, prng: Prng): Mutant {
    // A copy, as a plain Uint8Array: Buffer#slice() shares memory, and the seed must stay intact.
    let bytes: Uint8Array = Uint8Array.from(message);
    let fields = parseFields(bytes);
    const steps: string[] = [];
    const rounds = prng.chance(0.6) ? 1 : prng.between(2, 4);
    for (let round = 0; round < rounds; round++) {
      if (fields !== undefined && prng.chance(0.7)) {
        const name = prng.pick(TREE_NAMES);
        const step = (TREE_MUTATIONS[name] as TreeMutation)(fields, prng, this.#donors);
        if (step !== undefined) steps.push(`${name}: ${step}`);
        bytes = encodeFields(fields);
        continue;
      }
      const name = prng.pick(BYTE_NAMES);
      const done = (BYTE_MUTATIONS[name] as ByteMutation)(bytes, prng);
      bytes = done.bytes;
      steps.push(`${name}: ${done.step}`);
      fields = parseFields(bytes);
    }
    return { bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), steps };
  }
}
