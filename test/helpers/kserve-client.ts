/**
 * Open Inference Protocol (KServe v2) clients for tests: the generated grpc-js client with
 * promised unary calls, a stream client that sends request bytes as they are (so that a test can
 * mix in messages no encoder would write), and builders and readers of tensors.
 */
import type { TestContext } from 'node:test';
import {
  type CallOptions,
  type Client,
  type ClientDuplexStream,
  type ClientUnaryCall,
  Metadata,
  type ServiceError,
  credentials,
  makeGenericClientConstructor,
} from '@grpc/grpc-js';
import {
  GRPCInferenceServiceClient,
  type InferParameter,
  type InferTensorContents,
  ModelInferRequest,
  type ModelInferResponse,
  ModelStreamInferResponse,
} from '../../gen/ts/inference/grpc_service.js';

type Callback<Res> = (err: ServiceError | null, response: Res) => void;
type UnaryMethod<Req, Res> = (request: Req, metadata: Metadata, options: Partial<CallOptions>, callback: Callback<Res>) => ClientUnaryCall;

/** A generated client of the server at `address`, closed after `t`. */
export function kserveClient(t: Pick<TestContext, 'after'>, address: string): GRPCInferenceServiceClient {
  const client = new GRPCInferenceServiceClient(address, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
  t.after(() => client.close());
  return client;
}

/** Metadata carrying `token` as a bearer token (none when undefined). */
export function withToken(token: string | undefined): Metadata {
  const metadata = new Metadata();
  if (token !== undefined) metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

/** Makes a unary call: `await unary(client.modelInfer.bind(client), request)`. */
export function unary<Req, Res>(method: UnaryMethod<Req, Res>, request: Req, metadata = new Metadata(), options: Partial<CallOptions> = {}): Promise<Res> {
  return new Promise((resolve, reject) => {
    method(request, metadata, options, (err, response) => (err === null ? resolve(response) : reject(err)));
  });
}

/** The failed call's error, or a rejection when it succeeded. */
export async function failure(call: Promise<unknown>): Promise<ServiceError> {
  try {
    await call;
  } catch (err: unknown) {
    return err as ServiceError;
  }
  throw new Error('the call succeeded; a failure was expected');
}

/** One input of `inferRequest`: elements as raw bytes, or as typed contents. */
export interface InputSpec {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
  readonly raw?: Uint8Array;
  readonly contents?: Partial<InferTensorContents>;
}

/** A ModelInferRequest: raw_input_contents when the inputs give `raw`, typed contents otherwise. */
export function inferRequest(options: {
  readonly model: string;
  readonly id?: string;
  readonly version?: string;
  readonly inputs: readonly InputSpec[];
  readonly outputs?: readonly string[];
  readonly parameters?: Readonly<Record<string, InferParameter>>;
}): ModelInferRequest {
  return ModelInferRequest.fromPartial({
    modelName: options.model,
    modelVersion: options.version ?? '',
    id: options.id ?? '',
    parameters: { ...options.parameters },
    inputs: options.inputs.map((i) => ({ name: i.name, datatype: i.datatype, shape: i.shape.map(BigInt), contents: i.contents })),
    outputs: (options.outputs ?? []).map((name) => ({ name })),
    rawInputContents: options.inputs.flatMap((i) => (i.raw === undefined ? [] : [i.raw])),
  });
}

/** Float32 values as little-endian bytes. */
export const fp32 = (values: readonly number[]): Uint8Array => new Uint8Array(new Float32Array(values).buffer);

/** BYTES elements as raw contents: each one's 4-byte little-endian length, then its bytes. */
export function bytesElements(elements: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat(elements.flatMap((e) => [Buffer.from(new Uint32Array([e.byteLength]).buffer), Buffer.from(e)]));
}

/** An `add` request: a + b over rows of 4 floats, in raw contents. */
export function addInfer(id: string, a: readonly number[], b: readonly number[], extra: { outputs?: readonly string[]; parameters?: Record<string, InferParameter> } = {}): ModelInferRequest {
  const shape = [a.length / 4, 4];
  return inferRequest({ model: 'add', id, inputs: [{ name: 'a', datatype: 'FP32', shape, raw: fp32(a) }, { name: 'b', datatype: 'FP32', shape, raw: fp32(b) }], ...extra });
}

/** A request carrying one encoded image in the BYTES input `image`. */
export function imageInfer(id: string, model: string, image: Uint8Array, outputs?: readonly string[]): ModelInferRequest {
  return inferRequest({ model, id, inputs: [{ name: 'image', datatype: 'BYTES', shape: [1], raw: bytesElements([image]) }], outputs });
}

/** One output of a response, found by name in `outputs` and read from `raw_output_contents`. */
export interface ReadOutput {
  readonly datatype: string;
  readonly shape: number[];
  readonly raw: Uint8Array;
}

/** The output `name` of `response`, with its raw contents. */
export function outputOf(response: ModelInferResponse, name: string): ReadOutput {
  const index = response.outputs.findIndex((o) => o.name === name);
  const tensor = response.outputs[index];
  if (tensor === undefined) throw new Error(`no output ${name} among ${response.outputs.map((o) => o.name).join(', ')}`);
  const raw = response.rawOutputContents[index];
  if (raw === undefined) throw new Error(`output ${name} has no raw_output_contents entry`);
  return { datatype: tensor.datatype, shape: tensor.shape.map(Number), raw: new Uint8Array(raw) };
}

/** The elements of an FP32 output. */
export function floatsOf(output: ReadOutput): number[] {
  const copy = new Uint8Array(output.raw); // aligned for the float view
  return [...new Float32Array(copy.buffer, 0, copy.byteLength / 4)];
}

/** The elements of an INT64 output. */
export function int64sOf(output: ReadOutput): bigint[] {
  const copy = new Uint8Array(output.raw);
  return [...new BigInt64Array(copy.buffer, 0, copy.byteLength / 8)];
}

/** The elements of a BYTES output, as UTF-8 strings. */
export function stringsOf(output: ReadOutput): string[] {
  const strings: string[] = [];
  const view = new DataView(output.raw.buffer, output.raw.byteOffset, output.raw.byteLength);
  for (let offset = 0; offset < output.raw.byteLength; ) {
    const length = view.getUint32(offset, true);
    strings.push(Buffer.from(output.raw.subarray(offset + 4, offset + 4 + length)).toString('utf8'));
    offset += 4 + length;
  }
  return strings;
}

/** A `ModelStreamInfer` client that writes request bytes as given and reads decoded responses. */
export interface RawStreamClient extends Client {
  modelStreamInfer(metadata?: Metadata, options?: CallOptions): ClientDuplexStream<Uint8Array, ModelStreamInferResponse>;
}

const RawStreamConstructor = makeGenericClientConstructor(
  {
    modelStreamInfer: {
      path: '/inference.GRPCInferenceService/ModelStreamInfer',
      requestStream: true,
      responseStream: true,
      requestSerialize: (bytes: Uint8Array) => Buffer.from(bytes),
      requestDeserialize: (bytes: Buffer) => bytes,
      responseSerialize: (response: ModelStreamInferResponse) => Buffer.from(ModelStreamInferResponse.encode(response).finish()),
      responseDeserialize: (bytes: Buffer) => ModelStreamInferResponse.decode(bytes),
    },
  },
  'RawKserveStream',
);

/** A raw stream client of the server at `address`, closed after `t`. */
export function rawStreamClient(t: Pick<TestContext, 'after'>, address: string): RawStreamClient {
  const client = new RawStreamConstructor(address, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }) as unknown as RawStreamClient;
  t.after(() => client.close());
  return client;
}

/** Sends `messages` (requests, or bytes as they are) on one stream and collects every response. */
export async function streamInfer(client: RawStreamClient, messages: readonly (ModelInferRequest | Uint8Array)[], metadata = new Metadata()): Promise<ModelStreamInferResponse[]> {
  const call = client.modelStreamInfer(metadata);
  const responses: ModelStreamInferResponse[] = [];
  const done = (async () => {
    for await (const response of call) responses.push(response as ModelStreamInferResponse);
  })();
  for (const message of messages) call.write(message instanceof Uint8Array ? message : ModelInferRequest.encode(message).finish());
  call.end();
  await done;
  return responses;
}
