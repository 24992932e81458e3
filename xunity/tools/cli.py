"""`xunity`: the user-facing command line.

`xunity check FILE` parses and verifies a program and prints, per function,
the shape variables it binds and the inferred type of every value it returns:
the quickest way to see symbolic shape inference at work.

`xunity run FILE --bind n=128` compiles a graph function for this CPU, feeds
it seeded random inputs (and random weights for every `graph.weight`), and
prints its outputs and timings: compile time, cold and from the cache, and
the median run time.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from xdsl.dialects.func import FuncOp
from xdsl.utils.exceptions import DiagnosticException, ParseError

from xunity.api import compile as compile_program
from xunity.api import signatures
from xunity.dialects.context import make_context
from xunity.dialects.graph.creation import WeightOp
from xunity.dialects.graph.types import TensorType
from xunity.ir.diagnostics import parse_module
from xunity.runtime.executable import numpy_dtype
from xunity.transforms.graph.graph_specialize_shapes import parse_bindings


def _check(path: Path) -> int:
    start = time.perf_counter()
    module = parse_module(make_context(), path.read_text(), str(path))
    elapsed_ms = (time.perf_counter() - start) * 1e3
    for func in module.walk():
        if not isinstance(func, FuncOp):
            continue
        shape_vars: set[str] = set()
        for arg_type in func.function_type.inputs:
            if isinstance(arg_type, TensorType):
                shape_vars |= arg_type.free_vars()
        ops = sum(1 for _ in func.walk()) - 1
        names = ", ".join(sorted(shape_vars)) or "none"
        print(f"@{func.sym_name.data}: {ops} ops, shape variables: {names}")
        for index, result_type in enumerate(func.function_type.outputs):
            print(f"  result {index}: {result_type}")
    print(f"{path}: ok (parsed and verified in {elapsed_ms:.1f} ms)")
    return 0


def _run(
    path: Path, function: str | None, bindings: str, repeat: int, profile: bool
) -> int:
    text = path.read_text()
    module = parse_module(make_context(), text, str(path))
    graph_functions = signatures(module)
    name = function or next(iter(graph_functions), None)
    if name is None or name not in graph_functions:
        raise ValueError(f"{path}: no graph function named {function or '(any)'}")
    env = parse_bindings(bindings)
    rng = np.random.default_rng(0)
    params = {
        op.weight_name.data: _random(rng, op.result.type, env)
        for op in module.walk()
        if isinstance(op, WeightOp)
    }
    inputs = [_random(rng, t, env) for t in graph_functions[name].inputs]
    start = time.perf_counter()
    exe = compile_program(text, params=params, profile=profile)
    compile_s = time.perf_counter() - start
    start = time.perf_counter()
    compile_program(text, params=params, profile=profile)
    cached_s = time.perf_counter() - start
    outputs = exe[name](*inputs)
    if profile:
        exe.reset_profile()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        exe[name](*inputs)
        times.append(time.perf_counter() - start)
    shapes = ", ".join(f"{list(x.shape)} {x.dtype}" for x in inputs)
    print(f"@{name}({shapes}) with {len(params)} random weights")
    for index, out in enumerate(outputs if isinstance(outputs, tuple) else (outputs,)):
        flat = out.ravel()
        head = np.array2string(flat[:6], precision=4, separator=", ")
        print(
            f"  result {index}: {list(out.shape)} {out.dtype}  first {head}  "
            f"mean {flat.mean() if flat.size else 0:.6g}  std "
            f"{flat.std() if flat.size else 0:.6g}"
        )
    print(
        f"compile: {compile_s * 1e3:.0f} ms, then {cached_s * 1e3:.0f} ms "
        "when compiled again (object cache)"
    )
    print(f"run: median {np.median(times) * 1e3:.3f} ms over {repeat} calls")
    if profile:
        print(f"kernels over the {repeat} timed calls:")
        print(exe.profile())
    return 0


def _random(
    rng: np.random.Generator, tensor: object, env: dict[str, int]
) -> np.ndarray:
    assert isinstance(tensor, TensorType)
    try:
        shape = [d.evaluate(env) for d in tensor.shape]
    except KeyError as error:
        raise ValueError(
            f"bind shape variable {error} with --bind name=value"
        ) from None
    dtype = numpy_dtype(tensor.element_type)
    if dtype.kind == "f":
        return (rng.standard_normal(shape) * 0.05).astype(dtype)
    if dtype.kind == "b":
        return rng.random(shape) < 0.5
    return rng.integers(0, 16, size=shape).astype(dtype)


def _add_generate(commands: argparse._SubParsersAction) -> None:
    generate = commands.add_parser(
        "generate",
        help="generate text with a GGUF model (default: SmolLM2-135M-Instruct)",
    )
    generate.add_argument(
        "model_and_prompt",
        nargs="+",
        metavar="[MODEL.gguf] PROMPT",
        help="a GGUF file (optional) and the prompt",
    )
    generate.add_argument("-n", type=int, default=64, help="tokens to generate")
    generate.add_argument(
        "--temp", type=float, default=0.0, help="temperature (0: greedy, default)"
    )
    generate.add_argument("--top-k", type=int, default=40)
    generate.add_argument("--top-p", type=float, default=0.95)
    generate.add_argument("--min-p", type=float, default=0.05)
    generate.add_argument("--repeat-penalty", type=float, default=1.0)
    generate.add_argument("--seed", type=int, default=None)
    generate.add_argument(
        "--chat", action="store_true", help="wrap the prompt in the chat template"
    )
    generate.add_argument(
        "--ctx", type=int, default=2048, help="context: prompt and output tokens"
    )
    generate.add_argument(
        "--stop", action="append", default=[], help="stop before this text"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="xunity", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="parse, verify and summarise a program")
    check.add_argument("file", type=Path)
    run = commands.add_parser("run", help="compile and run a graph function")
    run.add_argument("file", type=Path)
    run.add_argument("--function", help="graph function to run (default: the first)")
    run.add_argument("--bind", default="", help="shape variables, e.g. n=128,b=1")
    run.add_argument("--repeat", type=int, default=20, help="timed calls")
    run.add_argument(
        "--profile", action="store_true", help="print a per-kernel timing table"
    )
    embed = commands.add_parser(
        "embed",
        help="embed sentences with all-MiniLM-L6-v2 and print cosine similarities",
    )
    embed.add_argument("sentences", nargs="+", help="the sentences to embed")
    _add_generate(commands)
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            return _check(args.file)
        if args.command == "embed":
            from xunity.models.minilm import embed_command  # needs `tokenizers`

            return embed_command(args.sentences)
        if args.command == "generate":
            from xunity.llm.generate import generate_command  # needs `tokenizers`

            return generate_command(args)
        return _run(args.file, args.function, args.bind, args.repeat, args.profile)
    except (ParseError, DiagnosticException, OSError, ValueError, KeyError) as error:
        print(f"xunity: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
