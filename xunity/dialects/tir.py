"""The tir dialect: TensorIR-level loop nests over buffers.

Kernels are builtin `func.func`s over builtin memrefs (`memref<?x64xf32>`);
symbolic dims are read with `memref.dim` or passed as index arguments, and
scalar math is xDSL's arith/math.  The dialect adds what schedule primitives
reason about: typed loops (`tir.for ... parallel`), TensorIR blocks with
spatial/reduce iteration variables and declared buffer accesses
(`tir.block "C" (...) reads(...) writes(...)`), element loads and stores, and
scratch buffers.  Unlike TVM's TIR, a block's iteration variables are the
arguments of its body region, bound to values computed outside it, and the
optional `init` region receives the same variables as arguments.

Loops and blocks end in `tir.yield`, which their custom syntax leaves implicit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, NamedTuple

from typing_extensions import Self
from xdsl.dialects.arith import ConstantOp
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    ArrayAttr,
    IndexType,
    IntegerAttr,
    MemRefType,
    StringAttr,
)
from xdsl.dialects.llvm import LLVMPointerType
from xdsl.dialects.utils import EnumAttribute
from xdsl.ir import (
    Block,
    BlockArgument,
    Dialect,
    Operation,
    Region,
    SSAValue,
)
from xdsl.irdl import (
    AttrSizedOperandSegments,
    IRDLOperation,
    irdl_attr_definition,
    irdl_op_definition,
    operand_def,
    opt_region_def,
    prop_def,
    region_def,
    result_def,
    traits_def,
    var_operand_def,
)
from xdsl.parser import AttrParser, Parser, UnresolvedOperand
from xdsl.printer import Printer
from xdsl.traits import (
    IsTerminator,
    MemoryAllocEffect,
    MemoryReadEffect,
    MemoryWriteEffect,
    Pure,
    RecursiveMemoryEffect,
    SingleBlockImplicitTerminator,
    ensure_terminator,
)
from xdsl.utils.exceptions import VerifyException
from xdsl.utils.str_enum import StrEnum


# ------------------------------------------------------------------ attributes
class ForKind(StrEnum):
    """How a `tir.for` is executed."""

    SERIAL = "serial"
    PARALLEL = "parallel"
    VECTORIZED = "vectorized"
    UNROLLED = "unrolled"


class IterKind(StrEnum):
    """The role of a `tir.block` iteration variable."""

    SPATIAL = "spatial"
    REDUCE = "reduce"


@irdl_attr_definition
class ForKindAttr(EnumAttribute[ForKind]):
    """A loop kind.  `#tir.for_kind<parallel>`"""

    name = "tir.for_kind"

    def print_parameter(self, printer: Printer) -> None:
        with printer.in_angle_brackets():
            super().print_parameter(printer)

    @classmethod
    def parse_parameter(cls, parser: AttrParser) -> ForKind:
        with parser.in_angle_brackets():
            return parser.parse_str_enum(ForKind)


@irdl_attr_definition
class IterKindAttr(EnumAttribute[IterKind]):
    """An iteration-variable kind.  `#tir.iter_kind<reduce>`"""

    name = "tir.iter_kind"

    def print_parameter(self, printer: Printer) -> None:
        with printer.in_angle_brackets():
            super().print_parameter(printer)

    @classmethod
    def parse_parameter(cls, parser: AttrParser) -> IterKind:
        with parser.in_angle_brackets():
            return parser.parse_str_enum(IterKind)


# ------------------------------------------------------------------ helpers
def index_region(num_args: int) -> Region:
    """A single-block region with `num_args` index arguments, ending in tir.yield."""
    return Region(Block([YieldOp()], arg_types=[IndexType()] * num_args))


SCHEDULED_ATTR = "tir.scheduled"
"""On a kernel: who scheduled it (a strategy's name, "manual" for the
Schedule API, the default schedule's pass name); tir-default-schedule leaves
marked kernels alone."""


def constant_index(value: SSAValue) -> int | None:
    """The value of an index defined by `arith.constant`, else None."""
    owner = value.owner
    if not isinstance(owner, ConstantOp):
        return None
    if not isinstance(owner.value, IntegerAttr):
        return None
    return owner.value.value.data


def _parse_kind_keyword(parser: Parser, enum: type[StrEnum], what: str) -> str:
    """A bare-keyword kind, with a diagnostic listing the valid spellings."""
    span_start = parser.pos
    keyword = parser.parse_identifier()
    if keyword not in enum.__members__.values():
        valid = ", ".join(member.value for member in enum)
        parser.raise_error(f"{what} must be one of {valid}", span_start, parser.pos)
    return keyword


def _defining_op(value: SSAValue) -> Operation | None:
    owner = value.owner
    return owner if isinstance(owner, Operation) else owner.parent_op()


def _print_operand_group(
    printer: Printer, keyword: str, values: Sequence[SSAValue]
) -> None:
    """` keyword(%a, %b : t1, t2)`, or nothing for an empty group."""
    if not values:
        return
    printer.print_string(f" {keyword}(")
    printer.print_list(values, printer.print_ssa_value)
    printer.print_string(" : ")
    printer.print_list([value.type for value in values], printer.print_attribute)
    printer.print_string(")")


def _parse_operand_group(parser: Parser, keyword: str) -> Sequence[SSAValue]:
    """Parse an optional ` keyword(%a, %b : t1, t2)` group."""
    if not parser.parse_optional_keyword(keyword):
        return []
    pos = parser.pos
    parser.parse_punctuation("(")
    operands = parser.parse_comma_separated_list(
        Parser.Delimiter.NONE, parser.parse_unresolved_operand
    )
    parser.parse_punctuation(":")
    types = parser.parse_comma_separated_list(Parser.Delimiter.NONE, parser.parse_type)
    parser.parse_punctuation(")")
    return parser.resolve_operands(operands, types, pos)


# ------------------------------------------------------------------ ops
@irdl_op_definition
class YieldOp(IRDLOperation):
    """Terminator of loop and block bodies; implicit in custom syntax.  `tir.yield`"""

    name = "tir.yield"
    traits = traits_def(IsTerminator(), Pure())
    assembly_format = "attr-dict"

    def __init__(self):
        super().__init__()

    def verify_(self) -> None:
        parent = self.parent_op()
        if parent is not None and not isinstance(parent, ForOp | BlockOp):
            raise VerifyException(
                f"{self.name}: must terminate a tir.for or tir.block region, not "
                f"{parent.name}"
            )


@irdl_op_definition
class ForOp(IRDLOperation):
    """A loop over [lb, ub) with a kind.

    `tir.for %i = %c0 to %n step %c1 parallel { ... }`
    """

    name = "tir.for"
    lb = operand_def(IndexType)
    ub = operand_def(IndexType)
    step = operand_def(IndexType)
    kind = prop_def(ForKindAttr)
    body = region_def("single_block")
    traits = traits_def(SingleBlockImplicitTerminator(YieldOp), RecursiveMemoryEffect())

    CONSTANT_KINDS: ClassVar[tuple[ForKind, ...]] = (
        ForKind.VECTORIZED,
        ForKind.UNROLLED,
    )
    """Kinds whose lowering replicates the body: lb, ub and step must be constants."""

    def __init__(
        self,
        lb: SSAValue | Operation,
        ub: SSAValue | Operation,
        step: SSAValue | Operation,
        kind: ForKind | str = ForKind.SERIAL,
        body: Region | None = None,
    ):
        super().__init__(
            operands=[lb, ub, step],
            properties={"kind": ForKindAttr(ForKind(kind))},
            regions=[body if body is not None else index_region(1)],
        )

    @property
    def induction_var(self) -> BlockArgument:
        return self.body.block.args[0]

    def verify_(self) -> None:
        args = self.body.block.args
        if len(args) != 1 or not isinstance(args[0].type, IndexType):
            types = ", ".join(str(arg.type) for arg in args)
            raise VerifyException(
                f"{self.name}: body must have exactly one index argument (the "
                f"induction variable), got ({types})"
            )
        step = constant_index(self.step)
        if step is not None and step <= 0:
            raise VerifyException(f"{self.name}: step must be positive, got {step}")
        kind = self.kind.data
        if kind not in self.CONSTANT_KINDS:
            return
        for role, value in (("lb", self.lb), ("ub", self.ub), ("step", self.step)):
            if constant_index(value) is None:
                raise VerifyException(
                    f"{self.name}: {kind} loops need constant lb, ub and step "
                    f"(arith.constant); {role} is not constant"
                )

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_ssa_value(self.induction_var)
        printer.print_string(" = ")
        printer.print_ssa_value(self.lb)
        printer.print_string(" to ")
        printer.print_ssa_value(self.ub)
        printer.print_string(" step ")
        printer.print_ssa_value(self.step)
        printer.print_string(f" {self.kind.data.value}")
        printer.print_op_attributes(self.attributes, print_keyword=True)
        printer.print_string(" ")
        printer.print_region(
            self.body, print_entry_block_args=False, print_block_terminators=False
        )

    @classmethod
    def parse(cls, parser: Parser) -> Self:
        induction_var = parser.parse_argument(expect_type=False)
        parser.parse_punctuation("=")
        lb = parser.parse_unresolved_operand()
        parser.parse_keyword("to")
        ub = parser.parse_unresolved_operand()
        parser.parse_keyword("step")
        step = parser.parse_unresolved_operand()
        kind = _parse_kind_keyword(parser, ForKind, "tir.for: loop kind")
        attributes = parser.parse_optional_attr_dict_with_keyword()
        index = IndexType()
        body = parser.parse_region((induction_var.resolve(index),))
        op = cls(
            parser.resolve_operand(lb, index),
            parser.resolve_operand(ub, index),
            parser.resolve_operand(step, index),
            kind,
            body,
        )
        if attributes is not None:
            op.attributes |= attributes.data
        ensure_terminator(op, SingleBlockImplicitTerminator(YieldOp))
        return op


class IterVar(NamedTuple):
    """Builder input for one `tir.block` iteration variable: kind, binding, extent."""

    kind: IterKind | str
    binding: SSAValue | Operation
    extent: SSAValue | Operation


@irdl_op_definition
class BlockOp(IRDLOperation):
    """A named TensorIR block: iteration variables, declared accesses, init, body.

    `tir.block "C" (%vi = spatial %i < %n, %vk = reduce %k < %kk)
         reads(%A : memref<?x?xf32>) writes(%C : memref<?xf32>) init { ... } { ... }`
    """

    name = "tir.block"
    bindings = var_operand_def(IndexType)
    extents = var_operand_def(IndexType)
    reads = var_operand_def(MemRefType)
    writes = var_operand_def(MemRefType)
    block_name = prop_def(StringAttr)
    iter_kinds = prop_def(ArrayAttr[IterKindAttr])
    init = opt_region_def("single_block")
    body = region_def("single_block")
    traits = traits_def(SingleBlockImplicitTerminator(YieldOp), RecursiveMemoryEffect())
    irdl_options = (AttrSizedOperandSegments(as_property=True),)

    def __init__(
        self,
        block_name: str,
        iter_vars: Sequence[IterVar],
        reads: Sequence[SSAValue | Operation] = (),
        writes: Sequence[SSAValue | Operation] = (),
        body: Region | None = None,
        init: Region | None = None,
    ):
        kinds = [IterKindAttr(IterKind(var.kind)) for var in iter_vars]
        super().__init__(
            operands=[
                [var.binding for var in iter_vars],
                [var.extent for var in iter_vars],
                reads,
                writes,
            ],
            properties={
                "block_name": StringAttr(block_name),
                "iter_kinds": ArrayAttr(kinds),
            },
            regions=[
                init,
                body if body is not None else index_region(len(iter_vars)),
            ],
        )

    @property
    def iter_vars(self) -> tuple[BlockArgument, ...]:
        return self.body.block.args

    def verify_(self) -> None:
        if not self.block_name.data:
            raise VerifyException(f"{self.name}: block name must be non-empty")
        self._verify_iter_vars()
        self._verify_init()
        self._verify_loop_vars_bound()
        self._verify_accesses_declared()

    def _verify_iter_vars(self) -> None:
        counts = (
            len(self.bindings),
            len(self.extents),
            len(self.iter_kinds),
            len(self.iter_vars),
        )
        if len(set(counts)) != 1:
            raise VerifyException(
                f"{self.name}: iteration variable counts must agree: {counts[0]} "
                f"bindings, {counts[1]} extents, {counts[2]} kinds, {counts[3]} "
                "body arguments"
            )
        for index, arg in enumerate(self.iter_vars):
            if not isinstance(arg.type, IndexType):
                raise VerifyException(
                    f"{self.name}: body argument {index} must be an index, got "
                    f"{arg.type}"
                )

    def _verify_init(self) -> None:
        if self.init is None:
            return
        if IterKindAttr(IterKind.REDUCE) not in self.iter_kinds.data:
            raise VerifyException(
                f"{self.name}: an init region needs at least one reduce iteration "
                "variable"
            )
        init_types = [arg.type for arg in self.init.block.args]
        if init_types != [arg.type for arg in self.iter_vars]:
            got = ", ".join(str(type) for type in init_types)
            raise VerifyException(
                f"{self.name}: init region must take the iteration variables as "
                f"arguments: want {len(self.iter_vars)} index, got ({got})"
            )

    def _verify_loop_vars_bound(self) -> None:
        """Blocks see enclosing loops only through bindings, so loops can be
        rescheduled without touching block bodies (TensorIR's rule)."""
        for region in self.regions:
            for inner in region.walk():
                for operand in inner.operands:
                    if not isinstance(operand, BlockArgument):
                        continue
                    loop = operand.owner.parent_op()
                    if isinstance(loop, ForOp) and not self.is_ancestor(loop):
                        raise VerifyException(
                            f"{self.name}: the body uses an enclosing loop variable "
                            "directly; bind it to an iteration variable"
                        )

    def _verify_accesses_declared(self) -> None:
        reads = set(self.reads)
        writes = set(self.writes)
        for region in self.regions:
            for inner in region.walk():
                if not isinstance(inner, LoadOp | StoreOp | AccessPtrOp):
                    continue
                buffer = inner.buffer
                defining = _defining_op(buffer)
                if defining is not None and self.is_ancestor(defining):
                    continue  # a buffer local to the block needs no declaration
                if isinstance(inner, StoreOp | AccessPtrOp) and buffer not in writes:
                    raise VerifyException(
                        f"{self.name}: every buffer stored to must be declared in "
                        f"writes (block {self.block_name})"
                    )
                if isinstance(inner, LoadOp) and buffer not in reads | writes:
                    raise VerifyException(
                        f"{self.name}: every buffer loaded from must be declared in "
                        f"reads or writes (block {self.block_name})"
                    )

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_string_literal(self.block_name.data)
        printer.print_string(" (")
        names: list[str] = []
        for index, arg in enumerate(self.iter_vars):
            if index:
                printer.print_string(", ")
            names.append(printer.print_ssa_value(arg))
            printer.print_string(f" = {self.iter_kinds.data[index].data.value} ")
            printer.print_ssa_value(self.bindings[index])
            printer.print_string(" < ")
            printer.print_ssa_value(self.extents[index])
        printer.print_string(")")
        _print_operand_group(printer, "reads", self.reads)
        _print_operand_group(printer, "writes", self.writes)
        printer.print_op_attributes(self.attributes, print_keyword=True)
        if self.init is not None:
            # The init region's arguments are spelled with the iteration
            # variables' names; the printer has no public API to alias names.
            for arg, name in zip(self.init.block.args, names, strict=False):
                printer._ssa_values[arg] = name
            printer.print_string(" init ")
            printer.print_region(
                self.init, print_entry_block_args=False, print_block_terminators=False
            )
        printer.print_string(" ")
        printer.print_region(
            self.body, print_entry_block_args=False, print_block_terminators=False
        )

    @classmethod
    def parse(cls, parser: Parser) -> Self:
        block_name = parser.parse_str_literal()
        pos = parser.pos
        iter_args: list[Parser.UnresolvedArgument] = []
        kinds: list[str] = []
        bindings: list[UnresolvedOperand] = []
        extents: list[UnresolvedOperand] = []

        def parse_iter_var() -> None:
            iter_args.append(parser.parse_argument(expect_type=False))
            parser.parse_punctuation("=")
            kinds.append(
                _parse_kind_keyword(parser, IterKind, "tir.block: iteration kind")
            )
            bindings.append(parser.parse_unresolved_operand())
            parser.parse_punctuation("<")
            extents.append(parser.parse_unresolved_operand())

        parser.parse_comma_separated_list(Parser.Delimiter.PAREN, parse_iter_var)
        index = IndexType()
        indices = [index] * len(iter_args)
        iter_vars = [
            IterVar(kind, binding, extent)
            for kind, binding, extent in zip(
                kinds,
                parser.resolve_operands(bindings, indices, pos),
                parser.resolve_operands(extents, indices, pos),
                strict=True,
            )
        ]
        reads = _parse_operand_group(parser, "reads")
        writes = _parse_operand_group(parser, "writes")
        attributes = parser.parse_optional_attr_dict_with_keyword()
        region_args = [arg.resolve(index) for arg in iter_args]
        init = None
        if parser.parse_optional_keyword("init"):
            init = parser.parse_region(region_args)
        body = parser.parse_region(region_args)
        op = cls(block_name, iter_vars, reads, writes, body, init)
        if attributes is not None:
            op.attributes |= attributes.data
        ensure_terminator(op, SingleBlockImplicitTerminator(YieldOp))
        return op


def _buffer_type(op: LoadOp | StoreOp | AccessPtrOp) -> MemRefType:
    buffer_type = op.buffer.type
    assert isinstance(buffer_type, MemRefType)  # guaranteed by operand_def
    return buffer_type


def _verify_index_count(op: LoadOp | StoreOp | AccessPtrOp) -> None:
    buffer_type = _buffer_type(op)
    rank = buffer_type.get_num_dims()
    if len(op.indices) != rank:
        raise VerifyException(
            f"{op.name}: index count must equal the buffer rank: {buffer_type} "
            f"needs {rank}, got {len(op.indices)}"
        )


def _parse_access(parser: Parser) -> tuple[UnresolvedOperand, list[SSAValue]]:
    """`%buf[%i, %j]` -> the unresolved buffer and the resolved indices."""
    buffer = parser.parse_unresolved_operand()
    indices = parser.parse_comma_separated_list(
        Parser.Delimiter.SQUARE, parser.parse_unresolved_operand
    )
    return buffer, [parser.resolve_operand(index, IndexType()) for index in indices]


def _print_access(printer: Printer, op: LoadOp | StoreOp | AccessPtrOp) -> None:
    printer.print_ssa_value(op.buffer)
    printer.print_string("[")
    printer.print_list(op.indices, printer.print_ssa_value)
    printer.print_string("]")
    printer.print_op_attributes(op.attributes)
    printer.print_string(" : ")
    printer.print_attribute(op.buffer.type)


def _parse_buffer_type(parser: Parser, op_name: str) -> MemRefType:
    pos = parser.pos
    buffer_type = parser.parse_type()
    if not isinstance(buffer_type, MemRefType):
        parser.raise_error(f"{op_name}: expected a memref type", pos, parser.pos)
    return buffer_type


class _ElementAccessOp(IRDLOperation):
    """Base of the ops written `%buf[%i, ...] : memref<...>` with a result: they
    print and parse alike, and are built from (buffer, indices)."""

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        _print_access(printer, self)  # pyright: ignore[reportArgumentType]

    @classmethod
    def parse(cls, parser: Parser) -> Self:
        buffer, indices = _parse_access(parser)
        attributes = parser.parse_optional_attr_dict()
        parser.parse_punctuation(":")
        buffer_type = _parse_buffer_type(parser, cls.name)
        # Subclasses are built from (buffer, indices).
        op = cls(parser.resolve_operand(buffer, buffer_type), indices)  # pyright: ignore[reportCallIssue]
        op.attributes |= attributes
        return op


@irdl_op_definition
class LoadOp(_ElementAccessOp):
    """Read one element.  `%v = tir.load %A[%i, %j] : memref<?x?xf32>`"""

    name = "tir.load"
    buffer = operand_def(MemRefType)
    indices = var_operand_def(IndexType)
    result = result_def()
    traits = traits_def(MemoryReadEffect())

    def __init__(self, buffer: SSAValue | Operation, indices: Sequence[SSAValue]):
        buffer_type = SSAValue.get(buffer).type
        assert isinstance(buffer_type, MemRefType)
        super().__init__(
            operands=[buffer, indices], result_types=[buffer_type.element_type]
        )

    def verify_(self) -> None:
        _verify_index_count(self)
        element_type = _buffer_type(self).element_type
        if self.result.type != element_type:
            raise VerifyException(
                f"{self.name}: result type {self.result.type} must equal the "
                f"element type {element_type}"
            )


@irdl_op_definition
class StoreOp(IRDLOperation):
    """Write one element.  `tir.store %v, %C[%i, %j] : memref<?x?xf32>`"""

    name = "tir.store"
    value = operand_def()
    buffer = operand_def(MemRefType)
    indices = var_operand_def(IndexType)
    traits = traits_def(MemoryWriteEffect())

    def __init__(
        self,
        value: SSAValue | Operation,
        buffer: SSAValue | Operation,
        indices: Sequence[SSAValue],
    ):
        super().__init__(operands=[value, buffer, indices])

    def verify_(self) -> None:
        _verify_index_count(self)
        element_type = _buffer_type(self).element_type
        if self.value.type != element_type:
            raise VerifyException(
                f"{self.name}: stored value type {self.value.type} must equal the "
                f"element type {element_type}"
            )

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_ssa_value(self.value)
        printer.print_string(", ")
        _print_access(printer, self)

    @classmethod
    def parse(cls, parser: Parser) -> Self:
        value = parser.parse_unresolved_operand()
        parser.parse_punctuation(",")
        buffer, indices = _parse_access(parser)
        attributes = parser.parse_optional_attr_dict()
        parser.parse_punctuation(":")
        buffer_type = _parse_buffer_type(parser, "tir.store")
        op = cls(
            parser.resolve_operand(value, buffer_type.element_type),
            parser.resolve_operand(buffer, buffer_type),
            indices,
        )
        op.attributes |= attributes
        return op


@irdl_op_definition
class AccessPtrOp(_ElementAccessOp):
    """The address of one element, for ops that take raw pointers (micro-kernels).

    `%p = tir.access_ptr %A[%i, %j] : memref<?x?xf32>` (an `!llvm.ptr`)

    Like TVM's `access_ptr`: whatever is done through the pointer stays out of
    the block's declared accesses, so a block using it must declare the buffer
    in `writes`.
    """

    name = "tir.access_ptr"
    buffer = operand_def(MemRefType)
    indices = var_operand_def(IndexType)
    result = result_def(LLVMPointerType)
    traits = traits_def(Pure())

    def __init__(self, buffer: SSAValue | Operation, indices: Sequence[SSAValue]):
        super().__init__(operands=[buffer, indices], result_types=[LLVMPointerType()])

    def verify_(self) -> None:
        _verify_index_count(self)


@irdl_op_definition
class AllocBufferOp(IRDLOperation):
    """A scratch buffer, one size operand per dynamic dim.

    `%t = tir.alloc_buffer(%n) : memref<?x64xf32>`
    """

    name = "tir.alloc_buffer"
    dynamic_sizes = var_operand_def(IndexType)
    buffer = result_def(MemRefType)
    traits = traits_def(MemoryAllocEffect())
    assembly_format = "`(` $dynamic_sizes `)` attr-dict `:` type($buffer)"

    def __init__(self, buffer_type: MemRefType, dynamic_sizes: Sequence[SSAValue] = ()):
        super().__init__(operands=[dynamic_sizes], result_types=[buffer_type])

    def verify_(self) -> None:
        buffer_type = self.buffer.type
        assert isinstance(buffer_type, MemRefType)
        dynamic = sum(dim == DYNAMIC_INDEX for dim in buffer_type.get_shape())
        if len(self.dynamic_sizes) != dynamic:
            raise VerifyException(
                f"{self.name}: needs one size operand per dynamic dim: "
                f"{buffer_type} has {dynamic}, got {len(self.dynamic_sizes)}"
            )


Tir = Dialect(
    "tir",
    [YieldOp, ForOp, BlockOp, LoadOp, StoreOp, AccessPtrOp, AllocBufferOp],
    [ForKindAttr, IterKindAttr],
)
