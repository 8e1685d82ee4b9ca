/**
 * The proto definitions server reflection serves, loaded with proto-loader from the same files
 * as the services, so that grpcurl and `buf curl` need no local copies.
 *
 * protobufjs (under proto-loader) describes a map field's entry message as `Parameters` where
 * protoc writes `ParametersEntry`. Go's descriptor checks (grpcurl, `buf curl`) reject the whole
 * schema for it, every service included; the Open Inference Protocol's messages have maps. So the
 * descriptors are repaired here, once, before reflection sees them.
 */
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { type DescriptorProto, FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { type AnyDefinition, type EnumTypeDefinition, type MessageTypeDefinition, type PackageDefinition, loadSync } from '@grpc/proto-loader';
import { PROTOS_DIR } from '../package-root.js';

/** The files whose services and messages reflection describes. */
const REFLECTED_FILES = ['sluice/v1/inference_service.proto', 'inference/grpc_service.proto', 'grpc/health/v1/health.proto'];

/** Loads the reflected files, with map entries named as protoc names them. */
export function loadReflectedDefinitions(): PackageDefinition {
  const definitions = loadSync(REFLECTED_FILES, { includeDirs: [PROTOS_DIR], keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
  const repaired = new Map<Buffer, Buffer>();
  const repair = (file: Buffer): Buffer => {
    let fixed = repaired.get(file);
    if (fixed === undefined) {
      const proto = fromBinary(FileDescriptorProtoSchema, file);
      proto.messageType.forEach(nameMapEntries);
      fixed = Buffer.from(toBinary(FileDescriptorProtoSchema, proto));
      repaired.set(file, fixed);
    }
    return fixed;
  };
  // Reflection reads the files from the message and enum definitions; services pass as they are.
  const result: PackageDefinition = {};
  for (const [name, definition] of Object.entries(definitions)) {
    result[name] = isTypeDefinition(definition) ? { ...definition, fileDescriptorProtos: definition.fileDescriptorProtos.map(repair) } : definition;
  }
  return result;
}

/** A message's or an enum's definition (which carry the files), not a service's. */
function isTypeDefinition(definition: AnyDefinition): definition is MessageTypeDefinition<object, object> | EnumTypeDefinition {
  return typeof definition.format === 'string';
}

/** Gives each map entry of `message` (and of its nested messages) the name protoc gives it: `<FieldName>Entry`. */
function nameMapEntries(message: DescriptorProto): void {
  for (const field of message.field) {
    const entry = message.nestedType.find((n) => n.name === field.typeName && n.options?.mapEntry === true);
    if (entry === undefined) continue;
    entry.name = mapEntryName(field.name);
    field.typeName = entry.name;
  }
  message.nestedType.forEach(nameMapEntries);
}

/** protoc's entry name of a map field: `parameters` -> `ParametersEntry`, `foo_bar` -> `FooBarEntry`. */
function mapEntryName(field: string): string {
  return `${field.replace(/(?:^|_)(.)/g, (_, c: string) => c.toUpperCase())}Entry`;
}
