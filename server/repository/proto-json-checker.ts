/**
 * Strict checking of proto3 JSON against a message's descriptor. ts-proto's `fromJSON` is lenient
 * (it ignores unknown fields and coerces types), so configuration is checked here first: every
 * problem is reported with its field path, e.g. `preprocessing.resize_mode`.
 */
import protobuf from 'protobufjs';

/** One problem found in a document. */
export interface ProtoJsonProblem {
  /** Dotted path of the field, with `[i]` for list elements. */
  readonly path: string;
  readonly message: string;
}

const INTEGER_TYPES = new Set(['int32', 'sint32', 'sfixed32', 'int64', 'sint64', 'sfixed64']);
const UNSIGNED_TYPES = new Set(['uint32', 'fixed32', 'uint64', 'fixed64']);
const FLOAT_TYPES = new Set(['float', 'double']);

/** Lists every way `value` fails to be `type` in proto3 JSON form (empty when it is valid). */
export function checkProtoJson(type: protobuf.Type, value: unknown, path = ''): ProtoJsonProblem[] {
  const problems: ProtoJsonProblem[] = [];
  checkMessage(type, value, path, problems);
  return problems;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'string' ? `the string ${JSON.stringify(value)}` : `${typeof value} ${String(value)}`;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function checkMessage(type: protobuf.Type, value: unknown, path: string, problems: ProtoJsonProblem[]): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    problems.push({ path: path || '(document)', message: `must be a mapping of ${type.name} fields, got ${describe(value)}` });
    return;
  }
  const byName = new Map<string, protobuf.Field>();
  for (const field of type.fieldsArray) {
    byName.set(field.name, field);
    byName.set(lowerCamel(field.name), field);
  }
  const oneofsSeen = new Map<string, string>();
  for (const [key, fieldValue] of Object.entries(value)) {
    const field = byName.get(key);
    const fieldPath = join(path, key);
    if (field === undefined) {
      problems.push({ path: fieldPath, message: `is not a field of ${type.name} (known: ${type.fieldsArray.map((f) => f.name).join(', ')})` });
      continue;
    }
    if (fieldValue === null || fieldValue === undefined) continue;
    if (field.partOf !== null) {
      const other = oneofsSeen.get(field.partOf.name);
      if (other !== undefined) {
        problems.push({ path: fieldPath, message: `cannot be set together with ${other}: only one of them` });
      }
      oneofsSeen.set(field.partOf.name, key);
    }
    if (field.repeated) {
      if (!Array.isArray(fieldValue)) {
        problems.push({ path: fieldPath, message: `must be a list, got ${describe(fieldValue)}` });
        continue;
      }
      fieldValue.forEach((element: unknown, i) => checkValue(field, element, `${fieldPath}[${i}]`, problems));
    } else {
      checkValue(field, fieldValue, fieldPath, problems);
    }
  }
}

function checkValue(field: protobuf.Field, value: unknown, path: string, problems: ProtoJsonProblem[]): void {
  const resolved = field.resolve().resolvedType;
  if (resolved instanceof protobuf.Type) {
    checkMessage(resolved, value, path, problems);
  } else if (resolved instanceof protobuf.Enum) {
    const known = typeof value === 'string' ? value in resolved.values : Number.isInteger(value) && Object.values(resolved.values).includes(value as number);
    if (!known) {
      problems.push({ path, message: `must be one of ${Object.keys(resolved.values).join(', ')}, got ${describe(value)}` });
    }
  } else if (field.type === 'string' || field.type === 'bytes') {
    if (typeof value !== 'string') problems.push({ path, message: `must be a string, got ${describe(value)}` });
  } else if (field.type === 'bool') {
    if (typeof value !== 'boolean') problems.push({ path, message: `must be true or false, got ${describe(value)}` });
  } else if (FLOAT_TYPES.has(field.type)) {
    if (typeof value !== 'number' || !Number.isFinite(value)) problems.push({ path, message: `must be a number, got ${describe(value)}` });
  } else if (INTEGER_TYPES.has(field.type) || UNSIGNED_TYPES.has(field.type)) {
    const unsigned = UNSIGNED_TYPES.has(field.type);
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || (unsigned && value < 0)) {
      problems.push({ path, message: `must be ${unsigned ? 'a non-negative' : 'an'} integer, got ${describe(value)}` });
    }
  }
}

function lowerCamel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
