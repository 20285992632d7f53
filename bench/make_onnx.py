"""Writes the two MatMul-only ONNX models that the browser benchmark runs in onnxruntime-web.

    bench/models/matmul.onnx     C[M,N] = MatMul(A[M,K], B[K,N])
    bench/models/matmul_bt.onnx  C[M,N] = MatMul(A[M,K], Transpose(B[N,K]))   (B stored as a Linear weight)

M, K and N are symbolic, so one file serves every size. onnxruntime's optimiser may fuse Transpose + MatMul into
one product with a transposed operand; where it does not, the transpose is a small copy next to the product (for
the 256x784x300 layer, timing both models in onnxruntime-web showed no difference beyond noise).

The files are committed; re-make them with:

    python3 -m venv .venv && .venv/bin/pip install -r bench/requirements.txt
    .venv/bin/python bench/make_onnx.py

Output is byte-identical for a given onnx version (no timestamps, fixed producer fields).
"""

from pathlib import Path

import onnx
from onnx import TensorProto, helper

OPSET = 17  # well inside what onnxruntime-web 1.30 implements
IR_VERSION = 8
OUT = Path(__file__).resolve().parent / "models"


def model(transpose_b: bool) -> onnx.ModelProto:
    a = helper.make_tensor_value_info("A", TensorProto.FLOAT, ["M", "K"])
    b = helper.make_tensor_value_info("B", TensorProto.FLOAT, ["N", "K"] if transpose_b else ["K", "N"])
    c = helper.make_tensor_value_info("C", TensorProto.FLOAT, ["M", "N"])
    if transpose_b:
        nodes = [
            helper.make_node("Transpose", ["B"], ["Bt"], perm=[1, 0], name="transpose_b"),
            helper.make_node("MatMul", ["A", "Bt"], ["C"], name="matmul"),
        ]
    else:
        nodes = [helper.make_node("MatMul", ["A", "B"], ["C"], name="matmul")]
    graph = helper.make_graph(nodes, "matmul_bt" if transpose_b else "matmul", [a, b], [c])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="paperlab-bench")
    m.ir_version = IR_VERSION
    m.producer_version = "1"
    onnx.checker.check_model(m, full_check=True)
    return m


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name, bt in (("matmul.onnx", False), ("matmul_bt.onnx", True)):
        path = OUT / name
        onnx.save(model(bt), path)
        print(f"{path.relative_to(OUT.parent.parent)}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
