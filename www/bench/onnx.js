// A minimal ONNX model writer (protobuf by hand) for the kernel benchmark's onnxruntime-web peer: one Conv,
// Softmax or LayerNormalization node, the weights as initializers (as a exported model stores them, so
// onnxruntime may prepack them once). Field numbers from onnx.proto (ModelProto, GraphProto, NodeProto,
// AttributeProto, TensorProto, ValueInfoProto); opset 17, IR version 8.

const enc = new TextEncoder();

function varint(n) {
  let v = BigInt.asUintN(64, BigInt(n));
  const out = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}
const key = (field, wire) => varint((field << 3) | wire);
const bytes = (field, b) => [...key(field, 2), ...varint(b.length), ...b];
const str = (field, s) => bytes(field, [...enc.encode(s)]);
const int = (field, n) => [...key(field, 0), ...varint(n)];
const msg = (field, parts) => bytes(field, parts.flat());

function f32bytes(x) {
  const f = Float32Array.from(x);
  return [...new Uint8Array(f.buffer, f.byteOffset, f.byteLength)];
}

const attrInts = (name, v) => msg(5, [str(1, name), int(20, 7), ...v.map((x) => int(8, x))]);
const attrInt = (name, v) => msg(5, [str(1, name), int(20, 2), int(3, v)]);
function attrFloat(name, v) {
  const b = new Uint8Array(new Float32Array([v]).buffer);
  return msg(5, [str(1, name), int(20, 1), [...key(2, 5), ...b]]);
}
/** TensorProto: dims, FLOAT, name, raw_data. */
const tensor = (name, dims, data) => msg(5, [...dims.map((d) => int(1, d)), int(2, 1), str(8, name), bytes(9, f32bytes(data))]);
/** ValueInfoProto of a float tensor with fixed dims. */
const value = (field, name, dims) => msg(field, [str(1, name),
  msg(2, [msg(1, [int(1, 1), msg(2, dims.map((d) => msg(1, [int(1, d)])))])])]);

function model(node, inits, inputs, outputs) {
  const graph = [node, ...inits, str(2, 'g'), ...inputs.map(([n, d]) => value(11, n, d)),
    ...outputs.map(([n, d]) => value(12, n, d))];
  return new Uint8Array([...int(1, 8), ...msg(8, [int(2, 17)]), ...msg(7, graph)].flat());
}

/** Conv, NCHW, no bias: X (n, c, h, w) -> Y; W (o, c, k, k) an initializer. */
export function convModel({ n, c, h, w, o, k, stride, pad }, weights) {
  const oh = Math.floor((h + 2 * pad - k) / stride) + 1;
  const ow = Math.floor((w + 2 * pad - k) / stride) + 1;
  const node = msg(1, [str(1, 'X'), str(1, 'W'), str(2, 'Y'), str(4, 'Conv'), attrInts('kernel_shape', [k, k]),
    attrInts('pads', [pad, pad, pad, pad]), attrInts('strides', [stride, stride])]);
  return model(node, [tensor('W', [o, c, k, k], weights)], [['X', [n, c, h, w]]], [['Y', [n, o, oh, ow]]]);
}

/** Softmax over the last axis of X (rows, n). */
export function softmaxModel(rows, n) {
  const node = msg(1, [str(1, 'X'), str(2, 'Y'), str(4, 'Softmax'), attrInt('axis', -1)]);
  return model(node, [], [['X', [rows, n]]], [['Y', [rows, n]]]);
}

/** LayerNormalization over the last axis of X (rows, n), epsilon 1e-5; Scale and B initializers. */
export function layerNormModel(rows, n, gamma, beta) {
  const node = msg(1, [str(1, 'X'), str(1, 'S'), str(1, 'B'), str(2, 'Y'), str(4, 'LayerNormalization'),
    attrInt('axis', -1), attrFloat('epsilon', 1e-5)]);
  return model(node, [tensor('S', [n], gamma), tensor('B', [n], beta)], [['X', [rows, n]]], [['Y', [rows, n]]]);
}
