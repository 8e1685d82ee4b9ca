/**
 * A small builder for ONNX graphs, enough to write the repository's tiny test models by hand:
 * typed inputs and outputs with symbolic dimensions, constant initializers and operator nodes.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** Element types the builder can declare and fill. */
export type ElementType = 'float32' | 'int64';

/** A dimension: a fixed size, or the name of a dynamic one (for example `'batch'`). */
export type Dim = number | string;

/** A node attribute, tagged with its ONNX attribute type. */
export type Attribute =
  | { readonly type: 'int'; readonly value: number }
  | { readonly type: 'ints'; readonly value: readonly number[] }
  | { readonly type: 'float'; readonly value: number }
  | { readonly type: 'floats'; readonly value: readonly number[] }
  | { readonly type: 'string'; readonly value: string };

/** Constructors for node attributes: `attr.ints([1, 1, 1, 1])`. */
export const attr = {
  int: (value: number): Attribute => ({ type: 'int', value }),
  ints: (value: readonly number[]): Attribute => ({ type: 'ints', value }),
  float: (value: number): Attribute => ({ type: 'float', value }),
  floats: (value: readonly number[]): Attribute => ({ type: 'floats', value }),
  string: (value: string): Attribute => ({ type: 'string', value }),
} as const;

/** Options of {@link OnnxGraph.node}. */
export interface NodeOptions {
  /** Names of the node's outputs (default: one output named after the node). */
  readonly outputs?: readonly string[];
  /** Operator attributes by name, such as `{ axis: attr.int(1) }`. */
  readonly attributes?: Readonly<Record<string, Attribute>>;
}

/** Options of {@link OnnxGraph.toModel}. */
export interface ModelOptions {
  /** Default-domain opset the graph is written against (default 13). */
  readonly opset?: number;
  /**
   * ONNX IR version written into the file (default 8, the newest `onnx-proto` knows and one that
   * onnxruntime accepts).
   */
  readonly irVersion?: number;
  /** Free text stored as the model's doc string. */
  readonly docString?: string;
}

const ELEMENT_TYPES: Readonly<Record<ElementType, onnxProto.onnx.TensorProto.DataType>> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
};

/** Collects the parts of one ONNX graph and serialises it as a model. */
export class OnnxGraph {
  readonly #name: string;
  readonly #inputs: onnxProto.onnx.IValueInfoProto[] = [];
  readonly #outputs: onnxProto.onnx.IValueInfoProto[] = [];
  readonly #initializers: onnxProto.onnx.ITensorProto[] = [];
  readonly #nodes: onnxProto.onnx.INodeProto[] = [];

  /** @param name graph name, stored in the file. */
  constructor(name: string) {
    this.#name = name;
  }

  /** Declares a graph input and returns its name, to wire into nodes. */
  input(name: string, type: ElementType, dims: readonly Dim[]): string {
    this.#inputs.push(valueInfo(name, type, dims));
    return name;
  }

  /** Declares a graph output; some node must produce a value of this name. */
  output(name: string, type: ElementType, dims: readonly Dim[]): string {
    this.#outputs.push(valueInfo(name, type, dims));
    return name;
  }

  /**
   * Adds a constant tensor and returns its name. `dims` of `[]` makes a scalar, which ONNX
   * broadcasts against any shape.
   */
  constant(name: string, type: ElementType, dims: readonly number[], values: readonly number[]): string {
    const size = dims.reduce((product, dim) => product * dim, 1);
    if (values.length !== size) {
      throw new RangeError(`constant ${name}: ${values.length} values for shape [${dims.join(', ')}]`);
    }
    const tensor: onnxProto.onnx.ITensorProto = { name, dims: [...dims], dataType: ELEMENT_TYPES[type] };
    if (type === 'float32') {
      tensor.floatData = [...values];
    } else {
      tensor.int64Data = [...values];
    }
    this.#initializers.push(tensor);
    return name;
  }

  /**
   * Adds an operator node of the default domain and returns the name of its first output, to wire
   * into the next node. Multi-output operators name all their outputs in `options.outputs`.
   */
  node(opType: string, inputs: readonly string[], options: NodeOptions = {}): string {
    const name = `${opType.toLowerCase()}_${this.#nodes.length}`;
    const outputs = options.outputs ? [...options.outputs] : [name];
    const attribute = Object.entries(options.attributes ?? {}).map(([key, value]) =>
      attributeProto(key, value),
    );
    this.#nodes.push({ name, opType, input: [...inputs], output: outputs, attribute });
    return outputs[0] ?? name;
  }

  /** Serialises the graph as a complete ONNX model file. */
  toModel(options: ModelOptions = {}): Uint8Array {
    const model: onnxProto.onnx.IModelProto = {
      irVersion: options.irVersion ?? 8,
      opsetImport: [{ domain: '', version: options.opset ?? 13 }],
      producerName: 'sluice-models',
      docString: options.docString ?? '',
      graph: {
        name: this.#name,
        input: this.#inputs,
        output: this.#outputs,
        initializer: this.#initializers,
        node: this.#nodes,
      },
    };
    return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
  }
}

function valueInfo(name: string, type: ElementType, dims: readonly Dim[]): onnxProto.onnx.IValueInfoProto {
  const dim = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType: ELEMENT_TYPES[type], shape: { dim } } } };
}

function attributeProto(name: string, attribute: Attribute): onnxProto.onnx.IAttributeProto {
  const { AttributeType } = onnx.AttributeProto;
  switch (attribute.type) {
    case 'int':
      return { name, type: AttributeType.INT, i: attribute.value };
    case 'ints':
      return { name, type: AttributeType.INTS, ints: [...attribute.value] };
    case 'float':
      return { name, type: AttributeType.FLOAT, f: attribute.value };
    case 'floats':
      return { name, type: AttributeType.FLOATS, floats: [...attribute.value] };
    case 'string':
      return { name, type: AttributeType.STRING, s: new TextEncoder().encode(attribute.value) };
  }
}
