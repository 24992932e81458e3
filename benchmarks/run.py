"""Kernel and layer benchmarks: xunity side by side with numpy, onnxruntime, torch.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/run.py [--quick]

Every case is timed for every implementation in this one process, one
implementation after the other, and so are the machine's limits
(benchmarks/machine_limits.py: an AVX-512 FMA loop and a streaming read, both
compiled by xunity's own backend and run on 2 threads).  Compare ratios within
one run: the machine is shared and noisy.

- xunity: a graph program compiled with `xunity.compile`, called as
  `exe["main"](*arrays)` (numpy in, a new numpy array out); runtime threads 2.
- numpy: OpenBLAS for matmuls, plain numpy expressions otherwise (numpy has
  no erf, so the erf GELU cases are n/a).  OPENBLAS_CORETYPE and
  OPENBLAS_L2_SIZE must be unset for the run (they select OpenBLAS kernels at
  load time); the script warns when they are set and does not change them.
- onnxruntime (optional): one-op ONNX graphs built with onnx.helper, intra-op
  threads 2, inter-op threads 1, default graph optimisations.
- torch (optional): eager ops under `torch.inference_mode()`,
  `torch.set_num_threads(2)`.
- TVM (optional): not wired in yet; the script says whether it is installed.

Times are medians of repeated calls after one warm-up call (inputs made once).
Each output is checked against a float64 numpy reference first.
Rates: matmul-like cases and the encoder layer in GFLOP/s (2*m*n*k per
matmul) as a % of the measured FMA peak; memory-bound cases in GB/s of
compulsory traffic (inputs read once + outputs written once) as a % of a
2-thread streaming read of the same number of bytes, measured hot like the
case (so an L3-resident case is compared with an L3-resident read).
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import xunity
from xunity.backends.llvm.runtime import set_num_threads

sys.path.insert(0, str(Path(__file__).resolve().parent))
import machine_limits

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # optional peer
    torch = None
    F = None

try:
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper
except ImportError:  # optional peer
    onnx = ort = helper = TensorProto = None

THREADS = 2
PEERS = ("numpy", "onnxruntime", "torch")
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "transformer_block.mlir"
ENV_WARN = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


# --------------------------------------------------------------- timing
@dataclass(frozen=True)
class Budget:
    seconds: float  # keep calling until this much time is spent ...
    min_runs: int  # ... and at least this many timed calls were made
    max_runs: int


def median_ms(fn: Callable[[], object], budget: Budget) -> tuple[float, int]:
    fn()  # warm up: first-touch page faults, lazy initialisation
    times: list[float] = []
    spent = 0.0
    while len(times) < budget.max_runs and (
        len(times) < budget.min_runs or spent < budget.seconds
    ):
        start = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - start
        times.append(elapsed)
        spent += elapsed
    return statistics.median(times) * 1e3, len(times)


# --------------------------------------------------------------- reference math
def erf(x: np.ndarray) -> np.ndarray:
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def gelu64(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def gelu_tanh(x: np.ndarray) -> np.ndarray:
    c = np.asarray(math.sqrt(2.0 / math.pi), x.dtype)
    inner = c * (x + np.asarray(0.044715, x.dtype) * (x * x * x))
    return np.asarray(0.5, x.dtype) * x * (1.0 + np.tanh(inner))


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def layer_norm(x: np.ndarray, g: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + np.asarray(eps, x.dtype)) * g + b


# --------------------------------------------------------------- cases
@dataclass
class Case:
    name: str
    shape: str
    program: str  # graph program with one function @main
    inputs: list[np.ndarray]
    reference: Callable[..., np.ndarray]  # float64 inputs -> float64 output
    flops: float = 0.0  # compute-bound: rated in GFLOP/s
    nbytes: float = 0.0  # memory-bound: rated in GB/s
    numpy: Callable[..., np.ndarray] | None = None
    onnx_nodes: Callable[[], tuple[list, list, list]] | None = None
    torch: Callable[..., object] | None = None
    params: dict[str, np.ndarray] = field(default_factory=dict)
    tolerance: float = 1e-4  # max |out - ref| / max |ref|


def t(shape: list[int | str]) -> str:
    return f"!graph.tensor<[{', '.join(map(str, shape))}], f32>"


def unary_program(op: str, shape: list[int], extra: str = "") -> str:
    ty = t(shape)
    return f"""
func.func @main(%x: {ty}) -> {ty} {{
  %y = graph.{op} %x{extra} : {ty}
  func.return %y : {ty}
}}"""


def matmul_program(m: int | str, k: int, n: int) -> str:
    a, b, c = t([m, k]), t([k, n]), t([m, n])
    return f"""
func.func @main(%a: {a}, %b: {b}) -> {c} {{
  %c = graph.matmul %a, %b : {a}, {b} -> {c}
  func.return %c : {c}
}}"""


def onnx_io(name: str, shape: list[int]):
    assert helper is not None and TensorProto is not None
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def rand(rng: np.random.Generator, *shape: int, scale: float = 1.0) -> np.ndarray:
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def matmul_case(name: str, m: int, k: int, n: int, rng, symbolic: bool) -> Case:
    a, b = rand(rng, m, k), rand(rng, k, n)
    shape = f"{m}x{k}x{n}" + (" (m symbolic)" if symbolic else "")
    return Case(
        name,
        shape,
        matmul_program("n" if symbolic else m, k, n),
        [a, b],
        lambda a, b: a @ b,
        flops=2.0 * m * n * k,
        numpy=np.matmul,
        onnx_nodes=lambda: (
            [helper.make_node("MatMul", ["a", "b"], ["y"])],
            [onnx_io("a", [m, k]), onnx_io("b", [k, n])],
            [onnx_io("y", [m, n])],
        ),
        torch=torch.matmul if torch else None,
    )


def gemv_case(rng) -> Case:
    k = n = 4096
    a, b = rand(rng, 1, k), rand(rng, k, n)
    return Case(
        "GEMV",
        f"1x{k}x{n}",
        matmul_program(1, k, n),
        [a, b],
        lambda a, b: a @ b,
        nbytes=4.0 * (k + k * n + n),
        numpy=np.matmul,
        onnx_nodes=lambda: (
            [helper.make_node("MatMul", ["a", "b"], ["y"])],
            [onnx_io("a", [1, k]), onnx_io("b", [k, n])],
            [onnx_io("y", [1, n])],
        ),
        torch=torch.matmul if torch else None,
    )


def softmax_case(rng) -> Case:
    shape = [128, 4096]
    return Case(
        "softmax",
        "128x4096, axis -1",
        unary_program("softmax", shape, " axis = -1"),
        [rand(rng, *shape)],
        softmax,
        nbytes=2 * 4.0 * math.prod(shape),
        numpy=softmax,
        onnx_nodes=lambda: (
            [helper.make_node("Softmax", ["x"], ["y"], axis=-1)],
            [onnx_io("x", shape)],
            [onnx_io("y", shape)],
        ),
        torch=(lambda x: torch.softmax(x, -1)) if torch else None,
    )


def layer_norm_case(rng) -> Case:
    rows, cols, eps = 128, 768, 1e-5
    x, g, b = rand(rng, rows, cols), rand(rng, cols), rand(rng, cols)
    xt, vt = t([rows, cols]), t([cols])
    program = f"""
func.func @main(%x: {xt}, %g: {vt}, %b: {vt}) -> {xt} {{
  %y = graph.layer_norm %x, %g, %b axes = [-1] eps = {eps:e} : {xt}, {vt}, {vt}
  func.return %y : {xt}
}}"""
    return Case(
        "layer_norm",
        f"{rows}x{cols}, axis -1",
        program,
        [x, g, b],
        lambda x, g, b: layer_norm(x, g, b, eps),
        nbytes=4.0 * (2 * rows * cols + 2 * cols),
        numpy=lambda x, g, b: layer_norm(x, g, b, eps),
        onnx_nodes=lambda: (
            [
                helper.make_node(
                    "LayerNormalization", ["x", "g", "b"], ["y"], axis=-1, epsilon=eps
                )
            ],
            [onnx_io("x", [rows, cols]), onnx_io("g", [cols]), onnx_io("b", [cols])],
            [onnx_io("y", [rows, cols])],
        ),
        torch=(lambda x, g, b: F.layer_norm(x, (cols,), g, b, eps)) if torch else None,
    )


def gelu_case(rng, approximate: str) -> Case:
    count = 4 * 1024 * 1024
    shape = [count]
    op = "gelu" if approximate == "none" else "gelu_tanh"
    return Case(
        f"gelu ({'erf' if approximate == 'none' else 'tanh'})",
        "4M floats",
        unary_program(op, shape),
        [rand(rng, count)],
        gelu64 if approximate == "none" else gelu_tanh,
        nbytes=2 * 4.0 * count,
        numpy=None if approximate == "none" else gelu_tanh,
        onnx_nodes=lambda: (
            [helper.make_node("Gelu", ["x"], ["y"], approximate=approximate)],
            [onnx_io("x", shape)],
            [onnx_io("y", shape)],
        ),
        torch=(lambda x: F.gelu(x, approximate=approximate)) if torch else None,
    )


def fused_case(rng) -> Case:
    m, k, n = 128, 1024, 1024
    a, b, bias = rand(rng, m, k), rand(rng, k, n, scale=0.03), rand(rng, n)
    at, bt, vt, ct = t([m, k]), t([k, n]), t([n]), t([m, n])
    program = f"""
func.func @main(%a: {at}, %b: {bt}, %bias: {vt}) -> {ct} {{
  %mm = graph.matmul %a, %b : {at}, {bt} -> {ct}
  %s = graph.add %mm, %bias : {ct}, {vt} -> {ct}
  %y = graph.gelu %s : {ct}
  func.return %y : {ct}
}}"""
    return Case(
        "matmul+bias+gelu",
        f"{m}x{k}x{n}, gelu erf",
        program,
        [a, b, bias],
        lambda a, b, bias: gelu64(a @ b + bias),
        flops=2.0 * m * n * k,
        onnx_nodes=lambda: (
            [
                helper.make_node("MatMul", ["a", "b"], ["mm"]),
                helper.make_node("Add", ["mm", "bias"], ["s"]),
                helper.make_node("Gelu", ["s"], ["y"]),
            ],
            [onnx_io("a", [m, k]), onnx_io("b", [k, n]), onnx_io("bias", [n])],
            [onnx_io("y", [m, n])],
        ),
        torch=(lambda a, b, bias: F.gelu(torch.addmm(bias, a, b))) if torch else None,
    )


# The encoder layer of examples/transformer_block.mlir, by weight name.
HIDDEN, HEADS, FFN = 384, 12, 1536
EPS_LN = 1e-12


def encoder_weights(rng) -> dict[str, np.ndarray]:
    def w(*shape: int) -> np.ndarray:
        return rand(rng, *shape, scale=1.0 / math.sqrt(shape[0]))

    return {
        "layer.attn.qkv.weight": w(HIDDEN, 3 * HIDDEN),
        "layer.attn.qkv.bias": rand(rng, 3 * HIDDEN, scale=0.02),
        "layer.attn.out.weight": w(HIDDEN, HIDDEN),
        "layer.attn.out.bias": rand(rng, HIDDEN, scale=0.02),
        "layer.ln1.weight": 1 + rand(rng, HIDDEN, scale=0.1),
        "layer.ln1.bias": rand(rng, HIDDEN, scale=0.02),
        "layer.ffn.up.weight": w(HIDDEN, FFN),
        "layer.ffn.up.bias": rand(rng, FFN, scale=0.02),
        "layer.ffn.down.weight": w(FFN, HIDDEN),
        "layer.ffn.down.bias": rand(rng, HIDDEN, scale=0.02),
        "layer.ln2.weight": 1 + rand(rng, HIDDEN, scale=0.1),
        "layer.ln2.bias": rand(rng, HIDDEN, scale=0.02),
    }


def encoder_numpy64(p: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    p = {k: v.astype(np.float64) for k, v in p.items()}
    n = x.shape[1]
    head = HIDDEN // HEADS
    qkv = x @ p["layer.attn.qkv.weight"] + p["layer.attn.qkv.bias"]
    q, k, v = np.split(qkv.reshape(1, n, 3 * HEADS, head), 3, axis=2)
    q, k, v = (z.transpose(0, 2, 1, 3) for z in (q, k, v))  # [b, heads, n, d]
    att = softmax(q @ k.transpose(0, 1, 3, 2) / math.sqrt(head)) @ v
    merged = att.transpose(0, 2, 1, 3).reshape(1, n, HIDDEN)
    proj = merged @ p["layer.attn.out.weight"] + p["layer.attn.out.bias"]
    h1 = layer_norm(x + proj, p["layer.ln1.weight"], p["layer.ln1.bias"], EPS_LN)
    up = gelu64(h1 @ p["layer.ffn.up.weight"] + p["layer.ffn.up.bias"])
    down = up @ p["layer.ffn.down.weight"] + p["layer.ffn.down.bias"]
    return layer_norm(h1 + down, p["layer.ln2.weight"], p["layer.ln2.bias"], EPS_LN)


def encoder_torch(p: dict[str, object]) -> Callable[[object], object]:
    assert torch is not None and F is not None
    head = HIDDEN // HEADS

    def layer(x):
        n = x.shape[1]
        qkv = torch.addmm(
            p["layer.attn.qkv.bias"], x.view(n, HIDDEN), p["layer.attn.qkv.weight"]
        )
        q, k, v = qkv.view(1, n, 3 * HEADS, head).split(HEADS, dim=2)
        att = F.scaled_dot_product_attention(
            q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
        )
        merged = att.transpose(1, 2).reshape(n, HIDDEN)
        proj = torch.addmm(p["layer.attn.out.bias"], merged, p["layer.attn.out.weight"])
        h1 = F.layer_norm(
            x.view(n, HIDDEN) + proj,
            (HIDDEN,),
            p["layer.ln1.weight"],
            p["layer.ln1.bias"],
            EPS_LN,
        )
        up = F.gelu(torch.addmm(p["layer.ffn.up.bias"], h1, p["layer.ffn.up.weight"]))
        down = torch.addmm(p["layer.ffn.down.bias"], up, p["layer.ffn.down.weight"])
        out = F.layer_norm(
            h1 + down, (HIDDEN,), p["layer.ln2.weight"], p["layer.ln2.bias"], EPS_LN
        )
        return out.view(1, n, HIDDEN)

    return layer


def encoder_case(rng, n: int = 128) -> Case:
    params = encoder_weights(rng)
    x = rand(rng, 1, n, HIDDEN)
    flops = (
        2.0 * n * HIDDEN * (3 * HIDDEN + HIDDEN + 2 * FFN) + 2 * 2.0 * n * n * HIDDEN
    )
    program = EXAMPLE.read_text().replace("@encoder_layer", "@main")
    torch_fn = None
    if torch is not None:
        tp = {k: torch.from_numpy(v) for k, v in params.items()}
        torch_fn = encoder_torch(tp)
    return Case(
        "encoder layer",
        f"BERT-like, n={n} (symbolic)",
        program,
        [x],
        lambda x: encoder_numpy64(params, x),
        flops=flops,
        torch=torch_fn,
        params=params,
        tolerance=1e-3,
    )


def make_cases() -> list[Case]:
    rng = np.random.default_rng(0)
    return [
        matmul_case("matmul", 1024, 1024, 1024, rng, symbolic=False),
        matmul_case("matmul", 128, 1024, 1024, rng, symbolic=True),
        gemv_case(rng),
        softmax_case(rng),
        layer_norm_case(rng),
        gelu_case(rng, "none"),
        gelu_case(rng, "tanh"),
        fused_case(rng),
        encoder_case(rng),
    ]


# --------------------------------------------------------------- runners
Call = Callable[[], np.ndarray]


def build_xunity(case: Case) -> Call:
    exe = xunity.compile(case.program, params=case.params or None)
    main = exe["main"]
    xs = case.inputs
    return lambda: np.asarray(main(*xs))


def build_numpy(case: Case) -> Call | None:
    numpy_fn = case.numpy
    xs = case.inputs
    return (lambda: numpy_fn(*xs)) if numpy_fn is not None else None


def build_onnxruntime(case: Case) -> Call | None:
    xs = case.inputs
    if ort is not None and case.onnx_nodes is not None:
        nodes, ins, outs = case.onnx_nodes()
        graph = helper.make_graph(nodes, case.name, ins, outs)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)])
        options = ort.SessionOptions()
        options.intra_op_num_threads = THREADS
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(
            model.SerializeToString(), options, providers=["CPUExecutionProvider"]
        )
        feeds = {info.name: x for info, x in zip(ins, xs, strict=True)}
        return lambda: session.run(None, feeds)[0]
    return None


def build_torch(case: Case) -> Call | None:
    if torch is not None and case.torch is not None:
        torch_fn = case.torch
        txs = [torch.from_numpy(x) for x in case.inputs]

        def run_torch() -> np.ndarray:
            with torch.inference_mode():
                return torch_fn(*txs).numpy()

        return run_torch
    return None


BUILDERS: dict[str, Callable[[Case], Call | None]] = {
    "xunity": build_xunity,
    "numpy": build_numpy,
    "onnxruntime": build_onnxruntime,
    "torch": build_torch,
}
QUIET_SECONDS = 0.1
"""Pause between implementations: thread pools that spin after a call (onnxruntime,
OpenMP, OpenBLAS) go idle before the next implementation is timed."""


def relative_error(out: np.ndarray, ref: np.ndarray) -> float:
    out = np.asarray(out, np.float64).reshape(ref.shape)
    return float(np.max(np.abs(out - ref)) / max(np.max(np.abs(ref)), 1e-30))


# --------------------------------------------------------------- report
def fmt_ms(ms: float | None) -> str:
    if ms is None:
        return "n/a"
    return f"{ms:.3f}" if ms < 10 else f"{ms:.1f}"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment_notes() -> list[str]:
    notes = []
    for name in ENV_WARN:
        if name in os.environ:
            notes.append(
                f"WARNING: {name}={os.environ[name]} is set; it changes which OpenBLAS "
                "kernel numpy uses. Rerun with "
                "`env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE`."
            )
    try:
        import threadpoolctl

        for info in threadpoolctl.threadpool_info():
            notes.append(
                f"numpy BLAS: {info.get('internal_api')} {info.get('version')} "
                f"kernel {info.get('architecture')}, {info.get('num_threads')} threads"
            )
    except ImportError:
        notes.append("numpy BLAS: threadpoolctl not installed (kernel not checked)")
    return notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="short timing budgets, smaller DRAM read"
    )
    args = parser.parse_args()
    budget = Budget(0.2, 1, 50) if args.quick else Budget(1.0, 5, 200)

    for note in environment_notes():
        if note.startswith("WARNING"):
            print(note, file=sys.stderr)
    set_num_threads(THREADS)
    if torch is not None:
        torch.set_num_threads(THREADS)

    # The limits first, before any peer has started a thread pool.
    cases = make_cases()
    peak = machine_limits.peak_gflops()
    dram_bytes = (256 if args.quick else 1024) << 20
    dram = machine_limits.read_gbps(dram_bytes)
    for case in cases:
        if case.nbytes:
            machine_limits.read_gbps(int(case.nbytes))

    versions = [f"numpy {np.__version__}"]
    versions.append(f"onnxruntime {ort.__version__}" if ort else "onnxruntime n/a")
    versions.append(f"torch {torch.__version__}" if torch else "torch n/a")
    try:
        import tvm  # noqa: F401

        tvm_note = "TVM: installed, but no TVM column is wired in yet"
    except ImportError:
        tvm_note = "TVM: not installed (skipped)"

    rows = []
    for case in cases:
        ref = case.reference(*(x.astype(np.float64) for x in case.inputs))
        times: dict[str, float | None] = {}
        runs = 0
        worst = 0.0
        for name, build in BUILDERS.items():
            call = build(case)
            if call is None:
                times[name] = None
                continue
            err = relative_error(call(), ref)
            if err > case.tolerance:
                raise SystemExit(
                    f"{case.name} {case.shape}: {name} differs from the float64 "
                    f"reference (max error {err:.2e} of max |ref|)"
                )
            worst = max(worst, err)
            times[name], n = median_ms(call, budget)
            if name == "xunity":
                runs = n
            del call  # drops the session / executable and its threads
            gc.collect()
            time.sleep(QUIET_SECONDS)
        reference_bw = (
            machine_limits.read_gbps(int(case.nbytes)) if case.nbytes else None
        )
        rows.append((case, times, runs, worst, reference_bw))
        print(f"  measured {case.name} {case.shape}", file=sys.stderr)

    print(f"# xunity benchmarks ({'--quick' if args.quick else 'full'})")
    print(
        f"machine: {cpu_model()}, {os.cpu_count()} "
        f"cpus; {THREADS} threads for every implementation"
    )
    print(
        f"measured limits: peak FP32 {peak:.0f} GFLOP/s (AVX-512 FMA loop, xunity "
        f"backend); streaming read {dram:.1f} GB/s ({dram_bytes >> 20} MiB)"
    )
    print("; ".join([*versions, tvm_note]))
    for note in environment_notes():
        print(note)

    print()
    print("## Median time (ms); in brackets the speed of xunity relative to the peer")
    print("## (peer time / xunity time: >= 1 means xunity is as fast or faster)")
    header = f"{'case':<18}{'shape':<28}{'xunity':>10}" + "".join(
        f"{p:>22}" for p in PEERS
    )
    print(header)
    print("-" * len(header))
    for case, times, _, _, _ in rows:
        xu = times["xunity"]
        assert xu is not None
        cells = []
        for p in PEERS:
            tp = times[p]
            cells.append("n/a" if tp is None else f"{fmt_ms(tp)} ({tp / xu:.2g}x)")
        print(
            f"{case.name:<18}{case.shape:<28}{fmt_ms(xu):>10}"
            + "".join(f"{c:>22}" for c in cells)
        )

    print()
    print("## Rate: GFLOP/s (% of measured peak) or GB/s (% of a streaming read of")
    print("## the same bytes, measured now)")
    header = f"{'case':<18}{'shape':<28}{'ref. read':>10}" + "".join(
        f"{p:>16}" for p in ("xunity", *PEERS)
    )
    print(header)
    print("-" * len(header))
    for case, times, _, _, bw in rows:
        cells = []
        for p in ("xunity", *PEERS):
            tp = times[p]
            if tp is None:
                cells.append("n/a")
            elif case.flops:
                rate = case.flops / tp / 1e6
                cells.append(f"{rate:.1f} ({100 * rate / peak:.1f}%)")
            else:
                rate = case.nbytes / tp / 1e6
                cells.append(f"{rate:.1f} ({100 * rate / bw:.1f}%)")
        ref_cell = f"{bw:.0f} GB/s" if bw else "-"
        print(
            f"{case.name:<18}{case.shape:<28}{ref_cell:>10}"
            + "".join(f"{c:>16}" for c in cells)
        )

    print()
    print(
        "xunity timed calls per case: "
        + ", ".join(f"{c.name} {c.shape.split(',')[0]}: {r}" for c, _, r, _, _ in rows)
    )
    print(
        "max error vs float64 reference (of max |ref|), worst implementation: "
        + ", ".join(f"{c.name}: {w:.1e}" for c, _, _, w, _ in rows)
    )


if __name__ == "__main__":
    main()
