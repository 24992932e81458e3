"""Source locations for ops parsed from text, and verification that reports them.

xDSL's parser does not attach locations to ops written without `loc(...)`,
and its verifier reports an error by dumping the whole module.  Users of
`xunity-opt` expect MLIR's `file:line:col: error: ...`; `LocatingParser`
records where each op starts and `verify_located` turns the first verifier
failure into such a diagnostic.
"""

from __future__ import annotations

import re

from xdsl.context import Context
from xdsl.dialects.builtin import FileLineColLoc, IntAttr, ModuleOp, StringAttr
from xdsl.ir import Operation
from xdsl.parser import Parser
from xdsl.utils.exceptions import DiagnosticException, ParseError, VerifyException

_OP_NAME = re.compile(r'^(?:[^=]*=)?\s*"?([A-Za-z_][\w$]*\.[\w.$]+)')
"""The op name at the start of an op's text, after any `%results =`."""


class LocatedDiagnostic(DiagnosticException):
    """An error tied to a source position: `file:line:col: error: message`."""

    def __init__(self, location: FileLineColLoc | None, message: str):
        self.location = location
        self.message = message
        prefix = ""
        if location is not None:
            prefix = (
                f"{location.filename.data}:{location.line.data}:"
                f"{location.column.data}: "
            )
        super().__init__(f"{prefix}error: {message}")


class LocatingParser(Parser):
    """A parser that gives every op the file:line:col where its text starts."""

    def __init__(
        self,
        ctx: Context,
        text: str | bytes,
        name: str = "<unknown>",
        line_offset: int = 0,
    ):
        super().__init__(ctx, text, name)
        self.line_offset = line_offset

    def parse_operation(self) -> Operation:
        start = self._current_token.span
        try:
            op = super().parse_operation()
        except VerifyException as error:
            # Type constraints checked while an op is built from its custom form
            # raise without a location; give them the op's and name the op.
            text = start.input.content[start.start : self.pos]
            name = _OP_NAME.search(text)
            prefix = f"{name.group(1)}: " if name else ""
            raise ParseError(start, f"{prefix}{error.args[0]}") from None
        if not isinstance(op.location, FileLineColLoc):
            where = start.get_location()
            op.location = FileLineColLoc(
                StringAttr(where.file),
                IntAttr(where.line + self.line_offset),
                IntAttr(where.col),
            )
        return op


def verify_located(module: Operation) -> None:
    """Verify `module`; the first failing op raises a LocatedDiagnostic."""
    for op in module.walk():
        try:
            op.verify(verify_nested_ops=False)
        except VerifyException as error:
            location = op.location if isinstance(op.location, FileLineColLoc) else None
            message = str(error.args[0]) if error.args else "invalid op"
            if not message.startswith(op.name):
                message = f"{op.name}: {message}"
            raise LocatedDiagnostic(location, message) from None


def parse_module(ctx: Context, text: str, name: str = "<string>") -> ModuleOp:
    """Parse and verify IR text; errors carry file:line:col."""
    module = LocatingParser(ctx, text, name).parse_module()
    verify_located(module)
    return module
