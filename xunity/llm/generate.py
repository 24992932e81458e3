"""`xunity generate [MODEL.gguf] PROMPT`: stream a continuation, then the speeds."""

from __future__ import annotations

import argparse
import sys
import time

from xunity.llm.model import load
from xunity.llm.sampling import SamplingParams


def generate_command(args: argparse.Namespace) -> int:
    """Load (or compile) the model, stream the text, print tok/s on stderr."""
    *model, prompt = args.model_and_prompt
    if len(model) > 1:
        raise ValueError("give at most a model path and a prompt (quote the prompt)")
    sampling = SamplingParams(
        temperature=args.temp,
        top_k=args.top_k,
        top_p=args.top_p,
        min_p=args.min_p,
        repeat_penalty=args.repeat_penalty,
        seed=args.seed,
    )
    start = time.perf_counter()
    llm = load(model[0] if model else None, context=args.ctx)
    print(
        f"{llm.path.name}: ready in {time.perf_counter() - start:.1f} s",
        file=sys.stderr,
    )
    pieces = llm.generate(prompt, args.n, sampling, stop=args.stop, chat=args.chat)
    if not args.chat:
        print(prompt, end="", flush=True)
    for piece in pieces:
        print(piece, end="", flush=True)
    print()
    stats = llm.last_stats
    assert stats is not None
    print(
        f"prefill: {stats.prompt_tokens} tokens, "
        f"{stats.prefill_tokens_per_second:.1f} tok/s; "
        f"decode: {stats.generated_tokens} tokens, "
        f"{stats.decode_tokens_per_second:.1f} tok/s",
        file=sys.stderr,
    )
    return 0
