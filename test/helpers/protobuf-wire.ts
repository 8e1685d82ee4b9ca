/**
 * Protobuf messages as a list of wire-level fields, for tests that rewrite messages below the
 * level any encoder works at: tags, wire types, varints and declared lengths can all be set to
 * values no encoder would write, and the message is encoded again byte for byte otherwise.
 */

/** Wire types as the protobuf encoding numbers them (6 and 7 exist only in hostile input). */
export const VARINT = 0;
export const FIXED64 = 1;
export const LEN = 2;
export const START_GROUP = 3;
export const END_GROUP = 4;
export const FIXED32 = 5;

/** One field of a parsed message. */
export interface WireField {
  /** The encoded tag; a mutation may make it any bytes at all. */
  tag: Uint8Array;
  /** Field number and wire type as parsed (what mutations choose by). */
  readonly number: number;
  readonly wireType: number;
  /** Varint: its encoded bytes. Fixed: its 4 or 8 bytes. LEN: the payload. Raw: bytes written as they are. */
  data: Uint8Array;
  /** LEN fields whose payload parses as a message: its fields (encoded instead of `data`). */
  children: WireField[] | undefined;
  /** LEN fields: an encoded length written instead of the payload's true length. */
  lengthOverride: Uint8Array | undefined;
  /** Written as `tag` + `data`, no length (group tags, garbage). */
  readonly raw: boolean;
}

/** Encodes `value` as a varint: negative values as their 64-bit two's complement (10 bytes). */
export function encodeVarint(value: bigint): Uint8Array {
  let v = value < 0n ? BigInt.asUintN(64, value) : value;
  const out: number[] = [];
  do {
    const low = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? low | 0x80 : low);
  } while (v > 0n);
  return Uint8Array.from(out);
}

export function encodeTag(number: number, wireType: number): Uint8Array {
  return encodeVarint((BigInt(number) << 3n) | BigInt(wireType));
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** Reads a varint at `pos`: its value and end, or undefined when it is cut off or longer than 10 bytes. */
function readVarint(bytes: Uint8Array, pos: number): { value: bigint; end: number } | undefined {
  let value = 0n;
  for (let i = 0; i < 10; i++) {
    const b = bytes[pos + i];
    if (b === undefined) return undefined;
    value |= BigInt(b & 0x7f) << BigInt(7 * i);
    if ((b & 0x80) === 0) return { value, end: pos + i + 1 };
  }
  return undefined;
}

const MAX_NESTING = 4;
/** Payloads larger than this are left as bytes (parsing them as messages costs more than it finds). */
const MAX_PARSED_PAYLOAD = 64 * 1024;

/** Parses a message into fields; undefined unless every byte belongs to a well-formed field. */
export function parseFields(bytes: Uint8Array, depth = 0): WireField[] | undefined {
  const fields: WireField[] = [];
  let pos = 0;
  while (pos < bytes.byteLength) {
    const tag = readVarint(bytes, pos);
    if (tag === undefined || tag.value > 0xffffffffn) return undefined;
    const number = Number(tag.value >> 3n);
    const wireType = Number(tag.value & 7n);
    if (number === 0) return undefined;
    const tagBytes = bytes.slice(pos, tag.end);
    pos = tag.end;
    let data: Uint8Array;
    let children: WireField[] | undefined;
    if (wireType === VARINT) {
      const v = readVarint(bytes, pos);
      if (v === undefined) return undefined;
      data = bytes.slice(pos, v.end);
      pos = v.end;
    } else if (wireType === FIXED64 || wireType === FIXED32) {
      const size = wireType === FIXED64 ? 8 : 4;
      if (pos + size > bytes.byteLength) return undefined;
      data = bytes.slice(pos, pos + size);
      pos += size;
    } else if (wireType === LEN) {
      const len = readVarint(bytes, pos);
      if (len === undefined || len.end + Number(len.value) > bytes.byteLength) return undefined;
      data = bytes.slice(len.end, len.end + Number(len.value));
      pos = len.end + Number(len.value);
      if (depth < MAX_NESTING && data.byteLength > 0 && data.byteLength <= MAX_PARSED_PAYLOAD) children = parseFields(data, depth + 1);
    } else {
      return undefined;
    }
    fields.push({ tag: tagBytes, number, wireType, data, children, lengthOverride: undefined, raw: false });
  }
  return fields;
}

export function encodeFields(fields: readonly WireField[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const f of fields) {
    parts.push(f.tag);
    if (f.raw || f.wireType !== LEN) {
      parts.push(f.data);
      continue;
    }
    const payload = f.children !== undefined ? encodeFields(f.children) : f.data;
    parts.push(f.lengthOverride ?? encodeVarint(BigInt(payload.byteLength)), payload);
  }
  return concat(parts);
}

export function cloneField(f: WireField): WireField {
  return { ...f, children: f.children?.map(cloneField) };
}

/** Every field list in the tree: the message itself and each nested message. */
export function fieldLists(fields: WireField[]): WireField[][] {
  const lists: WireField[][] = [fields];
  for (const f of fields) if (f.children !== undefined) lists.push(...fieldLists(f.children));
  return lists;
}
