"""The cpu dialect: the hardware stage just above xDSL's `llvm` dialect.

tir loops arrive here with buffers already flattened to pointers plus explicit
element offsets, and leave as `llvm` ops plus calls into the xunity C runtime.
The dialect adds what `llvm` lacks at this level: parallel regions run by the
runtime thread pool (`cpu.parallel`, outlined into closures when lowered),
fixed-width vector ops whose width is the vector type's (`vector<16xf32>`),
temporaries from the runtime's workspace arena, named runtime calls checked
against the runtime's signatures, and packed-function wrappers that describe
each argument's dtype and (symbolic) shape for the generated argument checks.
Unlike xDSL's `vector` dialect, vectors are 1-D, fixed width and addressed
through a pointer and an element offset, so each op lowers to a GEP plus one
llvm instruction or intrinsic.  Reference: docs/dialects/cpu.md.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass
from enum import auto
from typing import ClassVar

from xdsl.builder import ImplicitBuilder
from xdsl.dialects.builtin import (
    I64,
    AnyFloat,
    ArrayAttr,
    BFloat16Type,
    FlatSymbolRefAttrConstr,
    Float16Type,
    Float32Type,
    Float64Type,
    IndexType,
    IntegerAttr,
    IntegerType,
    StringAttr,
    SymbolNameConstraint,
    SymbolRefAttr,
    VectorType,
)
from xdsl.dialects.llvm import LLVMPointerType
from xdsl.dialects.utils.enum_attribute import EnumAttribute
from xdsl.ir import (
    Attribute,
    Block,
    Dialect,
    Operation,
    ParametrizedAttribute,
    Region,
    SpacedOpaqueSyntaxAttribute,
    SSAValue,
)
from xdsl.irdl import (
    AttrSizedOperandSegments,
    IRDLOperation,
    VarConstraint,
    base,
    irdl_attr_definition,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    opt_prop_def,
    prop_def,
    region_def,
    result_def,
    traits_def,
    var_operand_def,
    var_result_def,
)
from xdsl.parser import AttrParser, Parser
from xdsl.printer import Printer
from xdsl.traits import (
    IsTerminator,
    MemoryAllocEffect,
    MemoryFreeEffect,
    MemoryReadEffect,
    MemoryWriteEffect,
    Pure,
    RecursiveMemoryEffect,
    SymbolOpInterface,
    SymbolTable,
)
from xdsl.utils.exceptions import VerifyException
from xdsl.utils.str_enum import StrEnum

from xunity.dialects.graph.types import ELEMENT_TYPES, DimsAttr
from xunity.dialects.sym_syntax import parse_dims, print_dims
from xunity.ir.symbolic import Dim, SymExpr

MAX_VECTOR_WIDTH = 64
"""The widest vector the cpu dialect accepts (64 x i8 is one AVX-512 register)."""

VECTOR_ELEMENT_TYPES: tuple[Attribute, ...] = (
    Float32Type(),
    Float64Type(),
    Float16Type(),
    BFloat16Type(),
    IntegerType(64),
    IntegerType(32),
    IntegerType(16),
    IntegerType(8),
)
"""Element types a cpu vector may hold."""


def is_power_of_two(value: int) -> bool:
    return value >= 1 and value & (value - 1) == 0


def check_align(op_name: str, align: IntegerAttr) -> None:
    if not is_power_of_two(align.value.data):
        raise VerifyException(
            f"{op_name}: align {align.value.data} is not a power of two"
        )


def check_vector_type(op_name: str, vector_type: VectorType) -> None:
    """The rules every vector of the cpu dialect obeys."""
    if vector_type.get_num_dims() != 1 or vector_type.get_num_scalable_dims():
        raise VerifyException(
            f"{op_name}: {vector_type} must be a 1-D fixed-width vector"
        )
    width = vector_type.get_shape()[0]
    if not is_power_of_two(width):
        raise VerifyException(f"{op_name}: vector width {width} is not a power of two")
    if width > MAX_VECTOR_WIDTH:
        raise VerifyException(
            f"{op_name}: vector width {width} exceeds {MAX_VECTOR_WIDTH} lanes"
        )
    if vector_type.element_type not in VECTOR_ELEMENT_TYPES:
        raise VerifyException(
            f"{op_name}: unsupported vector element type {vector_type.element_type}"
        )


# ------------------------------------------------------------------ attributes
class ReduceKind(StrEnum):
    """Lane combiners of `cpu.vreduce`; max/min are signed for integers."""

    ADD = auto()
    MUL = auto()
    MAX = auto()
    MIN = auto()


@irdl_attr_definition
class ReduceKindAttr(EnumAttribute[ReduceKind], SpacedOpaqueSyntaxAttribute):
    """How `cpu.vreduce` combines lanes: `add`, `mul`, `max` or `min`."""

    name = "cpu.reduce_kind"


@irdl_attr_definition
class ArgAttr(ParametrizedAttribute):
    """One packed-function argument: a tensor's name, dtype and symbolic dims.

    `#cpu.arg<"x", f32, [n, 64]>`; `cpu.packed_func` checks the dtype (one of
    graph's element types) so that the error carries the op's location.
    """

    name = "cpu.arg"

    arg_name: StringAttr
    element_type: Attribute
    dims: DimsAttr

    def __init__(
        self,
        arg_name: str | StringAttr,
        element_type: Attribute,
        shape: Sequence[Dim] | DimsAttr,
    ):
        if isinstance(arg_name, str):
            arg_name = StringAttr(arg_name)
        dims = shape if isinstance(shape, DimsAttr) else DimsAttr(shape)
        super().__init__(arg_name, element_type, dims)

    @property
    def shape(self) -> tuple[SymExpr, ...]:
        return self.dims.data

    @classmethod
    def parse_parameters(
        cls, parser: AttrParser
    ) -> tuple[StringAttr, Attribute, DimsAttr]:
        with parser.in_angle_brackets():
            arg_name = parser.parse_str_literal()
            parser.parse_punctuation(",")
            element_type = parser.parse_type()
            parser.parse_punctuation(",")
            dims = parse_dims(parser)
        return StringAttr(arg_name), element_type, DimsAttr(dims)

    def print_parameters(self, printer: Printer) -> None:
        with printer.in_angle_brackets():
            printer.print_string_literal(self.arg_name.data)
            printer.print_string(", ")
            printer.print_attribute(self.element_type)
            printer.print_string(", ")
            print_dims(printer, self.shape)


# ------------------------------------------------------------------ runtime ABI
@dataclass(frozen=True)
class RuntimeFunction:
    """The C signature of one xunity runtime function, in llvm types."""

    params: tuple[Attribute, ...]
    results: tuple[Attribute, ...]


_I32 = IntegerType(32)
_I64 = IntegerType(64)
_PTR = LLVMPointerType()

RUNTIME_FUNCTIONS: dict[str, RuntimeFunction] = {
    # void* XUAlloc(int64_t nbytes, int64_t align)
    "XUAlloc": RuntimeFunction((_I64, _I64), (_PTR,)),
    # void XUFree(void* ptr)
    "XUFree": RuntimeFunction((_PTR,), ()),
    # void* XUWorkspaceAlloc(int64_t nbytes, int64_t align)
    "XUWorkspaceAlloc": RuntimeFunction((_I64, _I64), (_PTR,)),
    # void XUWorkspaceFree(void* ptr)
    "XUWorkspaceFree": RuntimeFunction((_PTR,), ()),
    # int32_t XUParallelLaunch(int32_t (*fn)(int64_t begin, int64_t end,
    #     void* closure), void* closure, int64_t lb, int64_t ub, int64_t num_tasks)
    "XUParallelLaunch": RuntimeFunction((_PTR, _PTR, _I64, _I64, _I64), (_I32,)),
    # void XUCopy(void* dst, const void* src, int64_t nbytes)
    "XUCopy": RuntimeFunction((_PTR, _PTR, _I64), ()),
    # void XUSetLastError(const char* message)
    "XUSetLastError": RuntimeFunction((_PTR,), ()),
}
"""The runtime functions `cpu.runtime_call` may name (docs/dialects/cpu.md)."""


def runtime_function(op_name: str, callee: str) -> RuntimeFunction:
    function = RUNTIME_FUNCTIONS.get(callee)
    if function is None:
        raise VerifyException(
            f'{op_name}: unknown runtime function "{callee}"; expected one of '
            + ", ".join(RUNTIME_FUNCTIONS)
        )
    return function


# ------------------------------------------------------------------ parallel
@irdl_op_definition
class ParallelOp(IRDLOperation):
    """A loop over [lb, ub) whose iterations the runtime thread pool runs in chunks.

    `cpu.parallel %i = %lb to %ub num_tasks = 4 grain = 64 { ... cpu.yield }`

    `grain` is the fewest iterations worth a task of their own: a launch
    whose range cannot give two tasks a grain each runs serially on the
    caller, because waking a worker costs more than such a task saves.
    """

    name = "cpu.parallel"
    lb = operand_def(IndexType)
    ub = operand_def(IndexType)
    num_tasks = opt_prop_def(IntegerAttr[I64])
    grain = opt_prop_def(IntegerAttr[I64])
    body = region_def()
    traits = traits_def(RecursiveMemoryEffect())

    def __init__(
        self,
        lb: SSAValue | Operation,
        ub: SSAValue | Operation,
        body: Region | Block | None = None,
        num_tasks: int | IntegerAttr | None = None,
        grain: int | IntegerAttr | None = None,
    ):
        """Without `body`, the region holds just `cpu.yield`: insert before it."""
        if body is None:
            body = Block(arg_types=[IndexType()])
            with ImplicitBuilder(body):  # innermost: the yield lands here
                YieldOp()
        if isinstance(body, Block):
            body = Region(body)
        if isinstance(num_tasks, int):
            num_tasks = IntegerAttr(num_tasks, 64)
        if isinstance(grain, int):
            grain = IntegerAttr(grain, 64)
        super().__init__(
            operands=[lb, ub],
            regions=[body],
            properties={"num_tasks": num_tasks, "grain": grain},
        )

    @property
    def induction_var(self) -> SSAValue:
        return self.body.block.args[0]

    def verify_(self) -> None:
        if len(self.body.blocks) != 1:
            raise VerifyException(
                "cpu.parallel: body must be a single block, got "
                f"{len(self.body.blocks)}"
            )
        arg_types = [arg.type for arg in self.body.block.args]
        if arg_types != [IndexType()]:
            raise VerifyException(
                "cpu.parallel: body must have exactly one index argument, got ("
                + ", ".join(str(t) for t in arg_types)
                + ")"
            )
        if not isinstance(self.body.block.last_op, YieldOp):
            raise VerifyException("cpu.parallel: body must end with cpu.yield")
        for name, count in (("num_tasks", self.num_tasks), ("grain", self.grain)):
            if count is not None and count.value.data < 1:
                raise VerifyException(
                    f"cpu.parallel: {name} must be >= 1, got {count.value.data}"
                )

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_ssa_value(self.induction_var)
        printer.print_string(" = ")
        printer.print_ssa_value(self.lb)
        printer.print_string(" to ")
        printer.print_ssa_value(self.ub)
        for name, count in (("num_tasks", self.num_tasks), ("grain", self.grain)):
            if count is not None:
                printer.print_string(f" {name} = {count.value.data}")
        printer.print_string(" ")
        printer.print_region(self.body, print_entry_block_args=False)
        printer.print_op_attributes(self.attributes)

    @classmethod
    def parse(cls, parser: Parser) -> ParallelOp:
        induction_var = parser.parse_argument(expect_type=False)
        parser.parse_punctuation("=")
        lb = parser.parse_operand(IndexType())
        parser.parse_keyword("to")
        ub = parser.parse_operand(IndexType())
        counts: dict[str, int | None] = {"num_tasks": None, "grain": None}
        for name in counts:
            if parser.parse_optional_keyword(name) is not None:
                parser.parse_punctuation("=")
                counts[name] = parser.parse_integer(allow_boolean=False)
        body = parser.parse_region((induction_var.resolve(IndexType()),))
        op = cls(lb, ub, body, counts["num_tasks"], counts["grain"])
        op.attributes |= parser.parse_optional_attr_dict()
        return op


@irdl_op_definition
class YieldOp(IRDLOperation):
    """Ends a `cpu.parallel` body.  `cpu.yield`"""

    name = "cpu.yield"
    traits = traits_def(IsTerminator(), Pure())
    assembly_format = "attr-dict"

    def __init__(self):
        super().__init__()

    def verify_(self) -> None:
        if not isinstance(self.parent_op(), ParallelOp):
            raise VerifyException("cpu.yield: must terminate a cpu.parallel body")


# ------------------------------------------------------------------ vectors
class VectorOp(IRDLOperation, abc.ABC):
    """Base of the vector ops: every vector operand and result obeys the width rules."""

    def verify_(self) -> None:
        for value in (*self.operands, *self.results):
            if isinstance(value.type, VectorType):
                check_vector_type(self.name, value.type)
        align = self.properties.get("align")
        if isinstance(align, IntegerAttr):
            check_align(self.name, align)

    @staticmethod
    def element_type_of(value: SSAValue) -> Attribute:
        assert isinstance(value.type, VectorType)
        return value.type.element_type


@irdl_op_definition
class VLoadOp(VectorOp):
    """Loads a vector from `ptr` + `offset` elements.

    `%v = cpu.vload %p[%off] align = 4 : !llvm.ptr -> vector<16xf32>`
    """

    name = "cpu.vload"
    ptr = operand_def(LLVMPointerType)
    offset = operand_def(IndexType)
    result = result_def(VectorType)
    align = prop_def(IntegerAttr[I64])
    traits = traits_def(MemoryReadEffect())
    assembly_format = (
        "$ptr `[` $offset `]` `align` `=` $align attr-dict `:` type($ptr) "
        "`->` type($result)"
    )

    def __init__(
        self,
        ptr: SSAValue | Operation,
        offset: SSAValue | Operation,
        vector_type: VectorType,
        align: int,
    ):
        super().__init__(
            operands=[ptr, offset],
            result_types=[vector_type],
            properties={"align": IntegerAttr(align, 64)},
        )


@irdl_op_definition
class VStoreOp(VectorOp):
    """Stores a vector to `ptr` + `offset` elements.

    `cpu.vstore %v, %p[%off] align = 4 : vector<16xf32>, !llvm.ptr`
    """

    name = "cpu.vstore"
    value = operand_def(VectorType)
    ptr = operand_def(LLVMPointerType)
    offset = operand_def(IndexType)
    align = prop_def(IntegerAttr[I64])
    traits = traits_def(MemoryWriteEffect())
    assembly_format = (
        "$value `,` $ptr `[` $offset `]` `align` `=` $align attr-dict `:` "
        "type($value) `,` type($ptr)"
    )

    def __init__(
        self,
        value: SSAValue | Operation,
        ptr: SSAValue | Operation,
        offset: SSAValue | Operation,
        align: int,
    ):
        super().__init__(
            operands=[value, ptr, offset],
            properties={"align": IntegerAttr(align, 64)},
        )


@irdl_op_definition
class VBroadcastOp(VectorOp):
    """Splats a scalar into every lane.

    `%v = cpu.vbroadcast %s : f32 -> vector<16xf32>`
    """

    name = "cpu.vbroadcast"
    scalar = operand_def()
    result = result_def(VectorType)
    traits = traits_def(Pure())
    assembly_format = "$scalar attr-dict `:` type($scalar) `->` type($result)"

    def __init__(self, scalar: SSAValue | Operation, width: int):
        scalar = SSAValue.get(scalar)
        super().__init__(
            operands=[scalar], result_types=[VectorType(scalar.type, [width])]
        )

    def verify_(self) -> None:
        super().verify_()
        element_type = self.element_type_of(self.result)
        if self.scalar.type != element_type:
            raise VerifyException(
                f"cpu.vbroadcast: scalar type {self.scalar.type} differs from the "
                f"vector element type {element_type}"
            )


@irdl_op_definition
class VFmaOp(VectorOp):
    """Fused multiply-add lane by lane, a * b + c.

    `%r = cpu.vfma %a, %b, %c : vector<16xf32>`
    """

    name = "cpu.vfma"
    T: ClassVar = VarConstraint("T", base(VectorType))
    lhs = operand_def(T)
    rhs = operand_def(T)
    acc = operand_def(T)
    result = result_def(T)
    traits = traits_def(Pure())
    assembly_format = "$lhs `,` $rhs `,` $acc attr-dict `:` type($result)"

    def __init__(
        self,
        lhs: SSAValue | Operation,
        rhs: SSAValue | Operation,
        acc: SSAValue | Operation,
    ):
        acc = SSAValue.get(acc)
        super().__init__(operands=[lhs, rhs, acc], result_types=[acc.type])

    def verify_(self) -> None:
        super().verify_()
        element_type = self.element_type_of(self.result)
        if not isinstance(element_type, AnyFloat):
            raise VerifyException(
                f"cpu.vfma: needs floating-point elements, got {element_type}"
            )


@irdl_op_definition
class VReduceOp(VectorOp):
    """Combines all lanes into one scalar (ints: signed max/min; floats: maxnum/minnum).

    `%s = cpu.vreduce add %v : vector<16xf32> -> f32`
    """

    name = "cpu.vreduce"
    vector = operand_def(VectorType)
    result = result_def()
    kind = prop_def(ReduceKindAttr)
    traits = traits_def(Pure())
    assembly_format = "$kind $vector attr-dict `:` type($vector) `->` type($result)"

    def __init__(self, kind: ReduceKind | str, vector: SSAValue | Operation):
        vector = SSAValue.get(vector)
        super().__init__(
            operands=[vector],
            result_types=[self.element_type_of(vector)],
            properties={"kind": ReduceKindAttr(ReduceKind(kind))},
        )

    def verify_(self) -> None:
        super().verify_()
        element_type = self.element_type_of(self.vector)
        if self.result.type != element_type:
            raise VerifyException(
                f"cpu.vreduce: result type {self.result.type} differs from the "
                f"vector element type {element_type}"
            )


# ------------------------------------------------------------------ micro-kernels
_PTR = LLVMPointerType()
"""The opaque pointer, as a constraint the declarative format can infer."""


@irdl_op_definition
class GemmMicrokernelOp(IRDLOperation):
    """One register tile of a GEMM: C[rows, cols] (+)= A[rows, k] @ B[k, cols].

    `cpu.gemm_microkernel %a[%a_row, %a_k], %b[%b_k], %c[%ldc] k %kc rows %r
    cols %n accumulate %acc scratch %s mr = 14 nr = 32 : f32`

    Element (r, k) of A is `a[r * a_row + k * a_k]` (a packed panel: a_row = 1,
    a_k = mr; a row-major matrix: a_row = its row length, a_k = 1), row k of B
    starts at `b[k * b_k]` with `nr` contiguous columns, and C is row-major
    with row stride `ldc`.  The full mr x nr tile is computed, so A's rows and
    B's columns must be readable up to mr and nr (packing zero-pads them);
    only the `rows` x `cols` corner of C is written (edge tiles pass through
    `scratch`, `mr * nr` elements), plus C's old values when `accumulate`.
    `cpu-expand-microkernels` turns it into `mr * nr / 16` accumulator vectors
    carried through the k loop.
    """

    name = "cpu.gemm_microkernel"
    a = operand_def(_PTR)
    a_row_stride = operand_def(IndexType)
    a_k_stride = operand_def(IndexType)
    b = operand_def(_PTR)
    b_k_stride = operand_def(IndexType)
    c = operand_def(_PTR)
    ldc = operand_def(IndexType)
    kc = operand_def(IndexType)
    rows = operand_def(IndexType)
    cols = operand_def(IndexType)
    accumulate = operand_def(IntegerType(1))
    scratch = operand_def(_PTR)
    mr = prop_def(IntegerAttr[I64])
    nr = prop_def(IntegerAttr[I64])
    element_type = prop_def(Float32Type)
    traits = traits_def(MemoryReadEffect(), MemoryWriteEffect())
    assembly_format = (
        "$a `[` $a_row_stride `,` $a_k_stride `]` `,` $b `[` $b_k_stride `]` `,` "
        "$c `[` $ldc `]` `k` $kc `rows` $rows `cols` $cols "
        "`accumulate` $accumulate `scratch` $scratch `mr` `=` $mr `nr` `=` $nr "
        "attr-dict `:` $element_type"
    )

    VECTOR_WIDTH: ClassVar[int] = 16
    """f32 lanes per accumulator (one AVX-512 register)."""

    MAX_ACCUMULATORS: ClassVar[int] = 30
    """x86-64 has 32 vector registers; two hold the B vectors of one k step."""

    def __init__(self, operands: Sequence[SSAValue | Operation], mr: int, nr: int):
        super().__init__(
            operands=list(operands),
            properties={
                "mr": IntegerAttr(mr, 64),
                "nr": IntegerAttr(nr, 64),
                "element_type": Float32Type(),
            },
        )

    def verify_(self) -> None:
        mr, nr = self.mr.value.data, self.nr.value.data
        if mr <= 0 or nr <= 0 or nr % self.VECTOR_WIDTH:
            raise VerifyException(
                f"cpu.gemm_microkernel: mr must be positive and nr a positive "
                f"multiple of {self.VECTOR_WIDTH}, got mr = {mr}, nr = {nr}"
            )
        if mr * nr // self.VECTOR_WIDTH > self.MAX_ACCUMULATORS:
            raise VerifyException(
                f"cpu.gemm_microkernel: a {mr}x{nr} tile needs "
                f"{mr * nr // self.VECTOR_WIDTH} accumulator registers, more than "
                f"{self.MAX_ACCUMULATORS}"
            )


@irdl_op_definition
class QuantDotMicrokernelOp(IRDLOperation):
    """One 48-row panel of a q4 weight times int16-quantised activations.

    `cpu.quant_dot_microkernel %codes, %scales, %x, %x_scales, %x_offsets, %out
    blocks %n format = "q4_1" mins %m sums %s`

    For each of the panel's rows r (`out[r]`, 48 f32 written):

        out[r] = sum_b d[b, r] (x_scales[b] dot(b, r) - x_offsets[b])
                       (+ m[b, r] x_sums[b], q4_1)
        dot(b, r) = sum_j lo(codes[b, j, r]) x[b, j, 0]
                        + hi(codes[b, j, r]) x[b, j, 1]

    over `blocks` blocks of 32 elements, with the panel layout of
    graph.quant_matmul (codes i8 [blocks, 16, 48]: a byte holds elements j
    and j + 16 of a row as its low and high nibble; scales and mins f16
    [blocks, 48]) and x the block's activations as int16 pairs [blocks, 16,
    2] (elements j and j + 16), so that a code byte's nibbles and one 32-bit
    x pair make one `vpdpwssd` lane (`cpu-expand-microkernels` writes the
    products in the form LLVM selects as vpdpwssd, or vpmaddwd without
    VNNI).  `x_scales`, `x_offsets` and `x_sums` are f32 [blocks]: the
    pairs' scale, what the nibbles' offset of 8 contributes (see
    xunity/strategies/quant_dot.py) and the f32 sum of each block's
    activations.  `mins` and `x_sums` are for q4_1 only.
    """

    name = "cpu.quant_dot_microkernel"
    codes = operand_def(_PTR)
    scales = operand_def(_PTR)
    x = operand_def(_PTR)
    x_scales = operand_def(_PTR)
    x_offsets = operand_def(_PTR)
    out = operand_def(_PTR)
    blocks = operand_def(IndexType)
    mins = opt_operand_def(_PTR)
    x_sums = opt_operand_def(_PTR)
    format = prop_def(StringAttr)
    traits = traits_def(MemoryReadEffect(), MemoryWriteEffect())
    irdl_options = (AttrSizedOperandSegments(as_property=True),)
    assembly_format = (
        "$codes `,` $scales `,` $x `,` $x_scales `,` $x_offsets `,` $out "
        "`blocks` $blocks `format` `=` $format (`mins` $mins^)? (`sums` $x_sums^)? "
        "attr-dict"
    )

    ROWS: ClassVar[int] = 48
    """A panel's rows: three 16-lane vectors."""
    FORMATS: ClassVar[tuple[str, ...]] = ("q4_0", "q4_1")

    def __init__(
        self,
        codes: SSAValue,
        scales: SSAValue,
        x: SSAValue,
        x_scales: SSAValue,
        x_offsets: SSAValue,
        out: SSAValue,
        blocks: SSAValue,
        format: str,
        mins_and_sums: tuple[SSAValue, SSAValue] | None = None,
    ):
        mins, sums = ([], []) if mins_and_sums is None else mins_and_sums
        super().__init__(
            operands=[codes, scales, x, x_scales, x_offsets, out, blocks, mins, sums],
            properties={"format": StringAttr(format)},
        )

    def verify_(self) -> None:
        format = self.format.data
        if format not in self.FORMATS:
            raise VerifyException(
                f"cpu.quant_dot_microkernel: format must be one of "
                f"{', '.join(self.FORMATS)}, got {format!r}"
            )
        has_mins = self.mins is not None, self.x_sums is not None
        if has_mins != (format == "q4_1",) * 2:
            raise VerifyException(
                f"cpu.quant_dot_microkernel: {format} "
                f"{'needs' if format == 'q4_1' else 'takes no'} mins and sums"
            )


@irdl_op_definition
class QuantizePairsMicrokernelOp(IRDLOperation):
    """One row of activations rounded to int16 pairs for `cpu.quant_dot_microkernel`.

    `cpu.quantize_pairs_microkernel %x, %x_sums, %pairs, %x_scales, %x_offsets
    blocks %n format = "q4_1"`

    For each block b of 32 f32 activations `x[32 b ..]`, with m = max |x|
    over the block (NaN if any is NaN) and x16_k = round(x_k 32767 / m)
    (0 when m = 0; halves away from zero):

        pairs[16 b + j] = x16_j & 0xFFFF | x16_(j+16) << 16      (i32, j < 16)
        x_scales[b]     = m / 32767
        x_offsets[b]    = 8 (x_scales[b] sum_k x16_k - x_sums[b])   (q4_1)
                          8 x_scales[b] sum_k x16_k                 (q4_0)

    `x_sums` holds the f32 sum of each block (q4_1 only reads it).  The
    quantisation runs once per GEMV call before its parallel loop, so it is
    written with vectors: a block is two 16-lane loads, where tir blocks
    over (block, element) were vectorised by LLVM across blocks with
    gathers, 5 us of serial work per call at 1536 elements.
    """

    name = "cpu.quantize_pairs_microkernel"
    x = operand_def(_PTR)
    x_sums = operand_def(_PTR)
    pairs = operand_def(_PTR)
    x_scales = operand_def(_PTR)
    x_offsets = operand_def(_PTR)
    blocks = operand_def(IndexType)
    format = prop_def(StringAttr)
    traits = traits_def(MemoryReadEffect(), MemoryWriteEffect())
    assembly_format = (
        "$x `,` $x_sums `,` $pairs `,` $x_scales `,` $x_offsets "
        "`blocks` $blocks `format` `=` $format attr-dict"
    )

    def __init__(
        self,
        x: SSAValue,
        x_sums: SSAValue,
        pairs: SSAValue,
        x_scales: SSAValue,
        x_offsets: SSAValue,
        blocks: SSAValue,
        format: str,
    ):
        super().__init__(
            operands=[x, x_sums, pairs, x_scales, x_offsets, blocks],
            properties={"format": StringAttr(format)},
        )

    def verify_(self) -> None:
        formats = QuantDotMicrokernelOp.FORMATS
        if self.format.data not in formats:
            raise VerifyException(
                f"cpu.quantize_pairs_microkernel: format must be one of "
                f"{', '.join(formats)}, got {self.format.data!r}"
            )


# ------------------------------------------------------------------ runtime
@irdl_op_definition
class RuntimeCallOp(IRDLOperation):
    """Calls a function of the xunity C runtime by name.

    `%p = cpu.runtime_call "XUAlloc"(%n, %a) : (i64, i64) -> !llvm.ptr`
    """

    name = "cpu.runtime_call"
    args = var_operand_def()
    res = var_result_def()
    callee = prop_def(StringAttr)
    assembly_format = "$callee `(` $args `)` attr-dict `:` functional-type($args, $res)"

    def __init__(self, callee: str, args: Sequence[SSAValue | Operation]):
        """The result types come from the runtime's signature of `callee`."""
        function = runtime_function(self.name, callee)
        super().__init__(
            operands=[args],
            result_types=[function.results],
            properties={"callee": StringAttr(callee)},
        )

    def verify_(self) -> None:
        callee = self.callee.data
        function = runtime_function(self.name, callee)
        if len(self.args) != len(function.params):
            raise VerifyException(
                f"cpu.runtime_call: {callee} takes {len(function.params)} operands, "
                f"got {len(self.args)}"
            )
        for index, (arg, param) in enumerate(
            zip(self.args, function.params, strict=True)
        ):
            if arg.type != param:
                raise VerifyException(
                    f"cpu.runtime_call: {callee} operand {index} must be {param}, "
                    f"got {arg.type}"
                )
        result_types = tuple(result.type for result in self.res)
        if result_types != function.results:
            raise VerifyException(
                f"cpu.runtime_call: {callee} returns "
                f"({', '.join(str(t) for t in function.results)}), got "
                f"({', '.join(str(t) for t in result_types)})"
            )


@irdl_op_definition
class WorkspaceAllocOp(IRDLOperation):
    """Takes `bytes` bytes of scratch memory from the runtime's arena.

    `%p = cpu.workspace_alloc %bytes align = 64 : !llvm.ptr`
    """

    name = "cpu.workspace_alloc"
    bytes = operand_def(IndexType)
    result = result_def(LLVMPointerType)
    align = prop_def(IntegerAttr[I64])
    traits = traits_def(MemoryAllocEffect())
    assembly_format = "$bytes `align` `=` $align attr-dict `:` type($result)"

    def __init__(self, bytes: SSAValue | Operation, align: int = 64):
        super().__init__(
            operands=[bytes],
            result_types=[LLVMPointerType()],
            properties={"align": IntegerAttr(align, 64)},
        )

    def verify_(self) -> None:
        check_align(self.name, self.align)


@irdl_op_definition
class WorkspaceFreeOp(IRDLOperation):
    """Returns a `cpu.workspace_alloc` block to the arena.

    `cpu.workspace_free %p : !llvm.ptr`
    """

    name = "cpu.workspace_free"
    ptr = operand_def(LLVMPointerType)
    traits = traits_def(MemoryFreeEffect())
    assembly_format = "$ptr attr-dict `:` type($ptr)"

    def __init__(self, ptr: SSAValue | Operation):
        super().__init__(operands=[ptr])


# ------------------------------------------------------------------ packed functions
@irdl_op_definition
class PackedFuncOp(IRDLOperation):
    """A packed-ABI entry point that checks its tensor arguments, then calls a function.

    `cpu.packed_func @main wraps @main_impl args = [#cpu.arg<"x", f32, [n, 64]>,
    #cpu.arg<"out0", f32, [n, 64]>] returns 1`: the last `returns` arguments are
    results, allocated and returned by the entry point instead of passed in.
    """

    name = "cpu.packed_func"
    sym_name = prop_def(SymbolNameConstraint())
    callee = prop_def(FlatSymbolRefAttrConstr)
    args = prop_def(ArrayAttr[ArgAttr])
    num_results = opt_prop_def(IntegerAttr[I64])
    traits = traits_def(SymbolOpInterface())
    assembly_format = (
        "$sym_name `wraps` $callee `args` `=` $args (`returns` $num_results^)? "
        "attr-dict"
    )

    def __init__(
        self,
        sym_name: str,
        callee: str | SymbolRefAttr,
        args: Sequence[ArgAttr],
        num_results: int = 0,
    ):
        if isinstance(callee, str):
            callee = SymbolRefAttr(callee)
        properties: dict[str, Attribute] = {
            "sym_name": StringAttr(sym_name),
            "callee": callee,
            "args": ArrayAttr(args),
        }
        if num_results:
            properties["num_results"] = IntegerAttr(num_results, 64)
        super().__init__(properties=properties)

    @property
    def result_count(self) -> int:
        return self.num_results.value.data if self.num_results is not None else 0

    def verify_(self) -> None:
        callee = self.callee.root_reference.data
        if not callee:
            raise VerifyException("cpu.packed_func: wrapped symbol must not be empty")
        if not 0 <= self.result_count <= len(self.args):
            raise VerifyException(
                f"cpu.packed_func: returns {self.result_count} of "
                f"{len(self.args)} arguments"
            )
        if callee == self.sym_name.data:
            raise VerifyException(f"cpu.packed_func: @{callee} cannot wrap itself")
        self._verify_args()
        if self._has_symbol_table() and SymbolTable.lookup_symbol(self, callee) is None:
            raise VerifyException(
                f"cpu.packed_func: wrapped function @{callee} is not defined"
            )

    def _verify_args(self) -> None:
        seen: set[str] = set()
        bound: set[str] = set()
        used: dict[str, str] = {}
        for arg in self.args:
            arg_name = arg.arg_name.data
            if arg_name in seen:
                raise VerifyException(
                    f'cpu.packed_func: argument name "{arg_name}" is not unique'
                )
            seen.add(arg_name)
            if arg.element_type not in ELEMENT_TYPES:
                raise VerifyException(
                    f'cpu.packed_func: argument "{arg_name}" has unsupported element '
                    f"type {arg.element_type}"
                )
            for dim in arg.shape:
                for var in dim.free_vars():
                    used.setdefault(var, arg_name)
                    if dim == SymExpr.of(var):
                        bound.add(var)
        # The wrapper learns a shape variable from a dim that is exactly that
        # variable; compound dims (n + 1) can only be checked, not solved.
        for var, arg_name in used.items():
            if var not in bound:
                raise VerifyException(
                    f'cpu.packed_func: shape variable {var} (in "{arg_name}") is '
                    "never a whole dim of any argument, so it cannot be bound"
                )

    def _has_symbol_table(self) -> bool:
        parent = self.parent_op()
        while parent is not None and not parent.has_trait(SymbolTable):
            parent = parent.parent_op()
        return parent is not None


Cpu = Dialect(
    "cpu",
    [
        ParallelOp,
        YieldOp,
        VLoadOp,
        VStoreOp,
        VBroadcastOp,
        VFmaOp,
        VReduceOp,
        GemmMicrokernelOp,
        QuantDotMicrokernelOp,
        QuantizePairsMicrokernelOp,
        RuntimeCallOp,
        WorkspaceAllocOp,
        WorkspaceFreeOp,
        PackedFuncOp,
    ],
    [ReduceKindAttr, ArgAttr],
)
