/**
 * A small ONNX graph builder: named values with their shapes, initializers, nodes, graph inputs
 * and outputs, encoded as an ONNX ModelProto by protobufjs from the ONNX project's own schema
 * (src/io/onnx.proto, loaded as the JSON descriptor in onnx-schema.ts). No bytes are hand-encoded.
 */
import protobuf from 'protobufjs/light.js';
import { ONNX_SCHEMA } from './onnx-schema.js';
import { RecurError } from '../util/errors.js';

/** A dimension: a size, or a symbolic name for a dynamic axis ("batch", "time"). */
export type Dim = number | string;
export type OnnxElemType = 'float32' | 'int32' | 'int64' | 'bool';

/** A value in the graph: its name, element type and shape. */
export interface OnnxValue {
  readonly name: string;
  readonly type: OnnxElemType;
  readonly dims: readonly Dim[];
}

/** An attribute: ints and floats are told apart explicitly, as ONNX does. */
export type OnnxAttr = { i: number } | { f: number } | { s: string } | { ints: readonly number[] } | { strings: readonly string[] } | { graph: OnnxGraph };

/** Something the ONNX exporter cannot express (or was not built to): says what and why. */
export class OnnxExportError extends RecurError {
  constructor(where: string, expected: string, got: string) {
    super('E_ONNX_UNSUPPORTED', `${where}: expected ${expected}, got ${got}`);
  }
}

// TensorProto.DataType and AttributeProto.AttributeType codes from onnx.proto.
const ELEM: Record<OnnxElemType, number> = { float32: 1, int32: 6, int64: 7, bool: 9 };
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8 };
/** IR version 8 (ONNX 1.12, the schema committed here) carries opsets up to 17. */
export const ONNX_IR_VERSION = 8;

let modelType: protobuf.Type | null = null;
function modelProto(): protobuf.Type {
  modelType ??= protobuf.Root.fromJSON(ONNX_SCHEMA).lookupType('onnx.ModelProto');
  return modelType;
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function attrProto(name: string, a: OnnxAttr): object {
  if ('i' in a) return { name, type: ATTR.INT, i: a.i };
  if ('f' in a) return { name, type: ATTR.FLOAT, f: a.f };
  if ('s' in a) return { name, type: ATTR.STRING, s: utf8(a.s) };
  if ('ints' in a) return { name, type: ATTR.INTS, ints: [...a.ints] };
  if ('graph' in a) return { name, type: ATTR.GRAPH, g: a.graph.graphProto(name) };
  return { name, type: ATTR.STRINGS, strings: a.strings.map(utf8) };
}

function valueInfo(v: OnnxValue): object {
  const dim = v.dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d }));
  return { name: v.name, type: { tensor_type: { elem_type: ELEM[v.type], shape: { dim } } } };
}

/** Raw little-endian bytes of a typed array (every platform ONNX Runtime runs on is little-endian). */
function rawBytes(a: Float32Array | Int32Array | BigInt64Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export class OnnxGraph {
  private readonly nodes: object[] = [];
  private readonly inits: object[] = [];
  private readonly inputs: OnnxValue[] = [];
  private readonly outputs: OnnxValue[] = [];
  private readonly used: Set<string>;

  /** `parent`: for a subgraph (a Scan body), which shares the model's value names and may read its values. */
  constructor(readonly opset: number, parent?: OnnxGraph) {
    this.used = parent?.used ?? new Set<string>();
  }

  /** A new subgraph of this graph. */
  subgraph(): OnnxGraph {
    return new OnnxGraph(this.opset, this);
  }

  /** A name not used yet, from `base`. */
  fresh(base: string): string {
    let n = base;
    for (let k = 1; this.used.has(n); k++) n = `${base}_${k}`;
    this.used.add(n);
    return n;
  }

  /** Declare a graph input. */
  input(name: string, type: OnnxElemType, dims: readonly Dim[]): OnnxValue {
    const v = { name: this.fresh(name), type, dims: [...dims] };
    this.inputs.push(v);
    return v;
  }

  /** Declare `v` a graph output called `name` (through an Identity when its name differs). */
  output(v: OnnxValue, name: string): OnnxValue {
    const out = v.name === name ? v : this.node('Identity', [v], {}, [{ type: v.type, dims: v.dims }], name)[0]!;
    this.outputs.push(out);
    return out;
  }

  /** A float32 constant (weights). */
  floats(base: string, data: ArrayLike<number>, dims: readonly number[]): OnnxValue {
    return this.init(base, 'float32', rawBytes(Float32Array.from(data)), dims);
  }

  /** An int64 constant (shapes, axes, slice bounds); a scalar with `scalar`. */
  int64s(base: string, values: readonly number[], scalar = false): OnnxValue {
    return this.init(base, 'int64', rawBytes(BigInt64Array.from(values, (x) => BigInt(x))), scalar ? [] : [values.length]);
  }

  private init(base: string, type: OnnxElemType, raw: Uint8Array, dims: readonly number[]): OnnxValue {
    const name = this.fresh(base);
    this.inits.push({ name, data_type: ELEM[type], dims: [...dims], raw_data: raw });
    return { name, type, dims: [...dims] };
  }

  /**
   * Add a node. `inputs` may hold null for an omitted optional input; `outs` gives the type and
   * shape of each output (the caller knows them; ONNX Runtime checks them when it loads the model).
   */
  node(op: string, inputs: readonly (OnnxValue | null)[], attrs: Record<string, OnnxAttr>, outs: readonly Omit<OnnxValue, 'name'>[], base = op.toLowerCase()): OnnxValue[] {
    const results = outs.map((o, k) => ({ name: this.fresh(outs.length > 1 ? `${base}_${k}` : base), type: o.type, dims: [...o.dims] }));
    this.nodes.push({
      op_type: op, name: this.fresh(`${op}_node`),
      input: inputs.map((v) => v?.name ?? ''), output: results.map((r) => r.name),
      attribute: Object.entries(attrs).map(([k, a]) => attrProto(k, a)),
    });
    return results;
  }

  /** A one-output node whose output has the input's type. */
  op(op: string, inputs: readonly (OnnxValue | null)[], dims: readonly Dim[], attrs: Record<string, OnnxAttr> = {}): OnnxValue {
    return this.node(op, inputs, attrs, [{ type: inputs[0]!.type, dims }])[0]!;
  }

  /** The GraphProto (as a plain object for protobufjs). */
  graphProto(name: string): object {
    return { name, node: this.nodes, initializer: this.inits, input: this.inputs.map(valueInfo), output: this.outputs.map(valueInfo) };
  }

  /** The serialized ModelProto. */
  encode(opts: { graphName?: string; producerVersion?: string; docString?: string; metadata?: Record<string, string> } = {}): Uint8Array {
    const T = modelProto();
    const model = {
      ir_version: ONNX_IR_VERSION,
      opset_import: [{ domain: '', version: this.opset }],
      producer_name: 'recur',
      producer_version: opts.producerVersion ?? '',
      doc_string: opts.docString ?? '',
      graph: this.graphProto(opts.graphName ?? 'recur'),
      metadata_props: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
    };
    return T.encode(T.fromObject(model)).finish();
  }
}
