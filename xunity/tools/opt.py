"""`xunity-opt`: xDSL's opt driver with every xDSL dialect plus xunity's.

xDSL's `xDSLOptMain` already provides `-p` pipelines with options,
`--print-between-passes`, `--split-input-file`, `-t` targets and the
diagnostics flags; xunity adds its dialects and passes through the same
plugin tables that `xdsl-opt` reads, and turns uncaught compiler errors into
one-line diagnostics instead of Python tracebacks.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import IO

from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import PassPipeline
from xdsl.utils.exceptions import DiagnosticException, ParseError, VerifyException
from xdsl.utils.target import Target
from xdsl.xdsl_opt_main import xDSLOptMain

from xunity.dialects.context import DIALECTS
from xunity.ir.diagnostics import LocatingParser, verify_located
from xunity.pipeline import expand
from xunity.registry import PASSES


class XunityOptMain(xDSLOptMain):
    """The opt driver; the xunity tables win over same-named plugin entries."""

    _chunk_line_offset = 0

    def register_all_frontends(self) -> None:
        super().register_all_frontends()

        def parse_mlir(io: IO[bytes]) -> ModuleOp:
            return LocatingParser(
                self.ctx, io.read(), self.get_input_name(), self._chunk_line_offset
            ).parse_module(not self.args.no_implicit_module)

        self.available_frontends["mlir"] = parse_mlir

    def parse_chunk(
        self, chunk: IO[bytes], file_extension: str, start_offset: int = 0
    ) -> ModuleOp | None:
        self._chunk_line_offset = start_offset
        return super().parse_chunk(chunk, file_extension, start_offset)

    def setup_pipeline(self) -> None:
        """xDSL's pipeline with xunity's pipeline passes expanded, so that
        `--print-between-passes` and `--time-passes` show every step."""
        super().setup_pipeline()
        self.pipeline = PassPipeline(
            expand(self.pipeline.passes), self.pipeline.callback
        )

    def apply_passes(self, prog: ModuleOp) -> None:
        if not self.args.disable_verify:
            verify_located(prog)
        super().apply_passes(prog)

    def register_all_dialects(self) -> None:
        super().register_all_dialects()
        for name, factory in DIALECTS.items():
            if name not in self.ctx.registered_dialect_names:
                self.ctx.register_dialect(name, factory)

    def register_all_targets(self) -> None:
        super().register_all_targets()
        self.available_targets["llvm"] = _host_llvm_target

    def register_all_passes(self) -> None:
        super().register_all_passes()
        self.available_passes.update(PASSES)


def _host_llvm_target() -> type[Target]:
    from xunity.backends.llvm.opt_target import HostLLVMTarget

    return HostLLVMTarget


def format_parse_error(error: ParseError) -> str:
    """MLIR's layout: `file:line:col: error: message`, then the line and a caret."""
    where = error.span.get_location()
    context = error.span.print_with_context().split("\n", 1)[1].rstrip()
    return f"{where.file}:{where.line}:{where.col}: error: {error.msg}\n{context}"


def main(argv: Sequence[str] | None = None) -> int:
    try:
        XunityOptMain(description="xunity modular optimizer driver", args=argv).run()
    except ParseError as error:
        print(format_parse_error(error), file=sys.stderr)
        return 1
    except (VerifyException, DiagnosticException) as error:
        print(error, file=sys.stderr)
        return 1
    except Exception as error:  # a compiler bug: one line, not a traceback
        print(
            f"xunity-opt: internal error: {type(error).__name__}: {error}",
            file=sys.stderr,
        )
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
