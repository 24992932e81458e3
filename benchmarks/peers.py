"""The implementations a case is timed with: xunity and its peers.

Each builder takes a Case and returns a call with no arguments (inputs are
converted once, outside the timed call) that returns the output as something
numpy can read, or None when the peer is not installed or has no version of
the case.  Every peer runs on THREADS threads where it has a knob for it.

- xunity: `xunity.compile(program, params=weights)`, `exe["main"](*arrays)`.
- numpy: OpenBLAS matmuls, numpy expressions otherwise.
- onnxruntime: the case's ONNX graph, CPU provider, intra-op threads 2,
  inter-op 1, default graph optimisations (ORT_ENABLE_ALL: its fusions apply).
- torch: eager ops under `torch.inference_mode()`, `torch.set_num_threads(2)`.
- tvm: the same ONNX graph imported with `tvm.relax.frontend.onnx.from_onnx`
  (weights embedded as constants), `tvm.compile(mod, target)` with the default
  Relax and TIR pipelines (LegalizeOps, FuseOps, FuseTIR, no schedule, no
  tuning) for an llvm target with the host's -mcpu, run by
  `relax.VirtualMachine` on `tvm.cpu()`.  Its loops are not parallelised by
  that pipeline, so it uses one core whatever TVM_NUM_THREADS says.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
from cases import Case, optional_import, torch

import xunity

THREADS = 2
os.environ.setdefault("TVM_NUM_THREADS", str(THREADS))  # read when tvm loads

ort = optional_import("onnxruntime")
tvm = optional_import("tvm")
relax = optional_import("tvm.relax")
tvm_onnx = optional_import("tvm.relax.frontend.onnx")
tvm_codegen = optional_import("tvm.target.codegen")

Call = Callable[[], Any]


def build_xunity(case: Case) -> Call:
    exe = xunity.compile(case.program, params=case.params or None)
    main = exe["main"]
    xs = case.inputs
    return lambda: main(*xs)


def build_numpy(case: Case) -> Call | None:
    numpy_fn = case.numpy
    xs = case.inputs
    return (lambda: numpy_fn(*xs)) if numpy_fn is not None else None


def build_onnxruntime(case: Case) -> Call | None:
    if ort is None or case.onnx is None:
        return None
    model = case.onnx()
    options = ort.SessionOptions()
    options.intra_op_num_threads = THREADS
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(
        model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    names = [info.name for info in model.graph.input]
    feeds = dict(zip(names, case.inputs, strict=True))
    return lambda: session.run(None, feeds)[0]


def build_torch(case: Case) -> Call | None:
    if torch is None or case.torch is None:
        return None
    torch_fn = case.torch
    txs = [torch.from_numpy(x) for x in case.inputs]

    def run_torch() -> np.ndarray:
        with torch.inference_mode():
            return torch_fn(*txs).numpy()

    return run_torch


def tvm_target() -> Any:
    cpu = tvm_codegen.llvm_get_system_cpu()
    return tvm.target.Target({"kind": "llvm", "mcpu": cpu, "num-cores": THREADS})


def build_tvm(case: Case) -> Call | None:
    if tvm is None or case.onnx is None:
        return None
    mod = tvm_onnx.from_onnx(case.onnx(), keep_params_in_input=False)
    executable = tvm.compile(mod, target=tvm_target())
    vm = relax.VirtualMachine(executable, tvm.cpu())
    main = vm["main"]
    args = [tvm.runtime.tensor(x) for x in case.inputs]
    return lambda: main(*args).numpy()


BUILDERS: dict[str, Callable[[Case], Call | None]] = {
    "xunity": build_xunity,
    "numpy": build_numpy,
    "onnxruntime": build_onnxruntime,
    "torch": build_torch,
    "tvm": build_tvm,
}
PEERS = tuple(name for name in BUILDERS if name != "xunity")


def installed() -> dict[str, str | None]:
    """Version of every peer, None when it is not installed."""
    return {
        "numpy": np.__version__,
        "onnxruntime": ort.__version__ if ort is not None else None,
        "torch": torch.__version__ if torch is not None else None,
        "tvm": tvm.__version__ if tvm is not None else None,
    }


def peer_notes() -> list[str]:
    """How the optional peers are configured, for the report header."""
    notes = []
    if tvm is not None:
        notes.append(
            f"TVM target {tvm_target()}; default pipeline (no tuning), Relax VM"
        )
    return notes
