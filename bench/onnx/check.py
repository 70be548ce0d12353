"""Checks one `strata export --onnx` file against strata itself: runs the ids `strata export
--ids` wrote through onnxruntime and compares the probabilities with `strata predict --json
--top-k K` for the same texts. Prints one line of figures; exits 1 when max |diff| > --tol.

Usage: check.py --onnx M.onnx --ids M.ids --predictions M.jsonl [--tol 1e-5]
"""

import argparse
import json
import sys

import numpy as np
import onnx
import onnxruntime as ort


def read_ids(path):
    """One text per line; a linear model's rows differ in number and are padded with -1."""
    rows = [[int(v) for v in line.split()] for line in open(path, encoding="utf-8").read().splitlines()]
    width = max((len(r) for r in rows), default=0)
    return np.array([r + [-1] * (width - len(r)) for r in rows], dtype=np.int64).reshape(len(rows), width)


def read_predictions(path, labels):
    """`predict --json --top-k K`: every label's score, in id2label's column order."""
    column = {label: i for i, label in enumerate(labels)}
    out = []
    for line in open(path, encoding="utf-8"):
        row = [0.0] * len(labels)
        for entry in json.loads(line)["top_k"]:
            row[column[entry["label"]]] = entry["score"]
        out.append(row)
    return np.array(out, dtype=np.float64)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--onnx", required=True)
    ap.add_argument("--ids", required=True)
    ap.add_argument("--predictions", required=True)
    ap.add_argument("--tol", type=float, default=1e-5)
    a = ap.parse_args()
    model = onnx.load(a.onnx)
    onnx.checker.check_model(model, full_check=True)
    meta = {p.key: p.value for p in model.metadata_props}
    id2label = json.loads(meta["id2label"])
    labels = [id2label[str(i)] for i in range(len(id2label))]
    ops = sorted({n.op_type for n in model.graph.node})
    session = ort.InferenceSession(a.onnx, providers=["CPUExecutionProvider"])
    ids = read_ids(a.ids)
    got = session.run(["probabilities"], {"input_ids": ids})[0].astype(np.float64)
    want = read_predictions(a.predictions, labels)
    assert got.shape == want.shape, f"onnxruntime gave {got.shape}, strata {want.shape}"
    diff = float(np.abs(got - want).max())
    agree = float((got.argmax(1) == want.argmax(1)).mean())
    name = meta.get("architecture", "?")
    print(f"{name:13s} texts {len(ids):5d}  classes {len(labels):3d}  max|diff| {diff:.2e}  "
          f"same label {agree:.4f}  ops {','.join(ops)}")
    return 0 if diff <= a.tol else 1


if __name__ == "__main__":
    sys.exit(main())
