"""`convert-arith-to-llvm`: scalar `arith` ops -> xDSL's `llvm` dialect.

Most ops are 1:1 (a table per family: binary, cast); the rest expand to a few
llvm ops: min/max, floor/ceil division, `index_cast`, constants.  `index`
becomes `i64`, bridged by unrealized casts (see llvm_conversion.py).

Float min/max follow arith's semantics, which are numpy's:
`arith.maximumf` / `minimumf` propagate NaN and order -0 < +0 (numpy
`maximum`, LLVM `llvm.maximum`); `arith.maxnumf` / `minnumf` ignore a NaN
operand (numpy `fmax`, LLVM `llvm.maxnum`).

bf16: LLVM IR as emitted by xunity stores bf16 as i16 (llvmlite has no
bfloat type and LLVM's bfloat arithmetic needs runtime helpers on most x86
CPUs), so bf16 arithmetic is done in f32: `PromoteBF16Arithmetic` rewrites it
to f32 arith between `extf` / `truncf`, which expand to integer code here
(exact widening; round-to-nearest-even narrowing that keeps NaNs quiet).
f16 stays f16: LLVM has half arithmetic (F16C on x86).

Vector operands are accepted wherever xDSL's llvm op accepts them (xDSL's
`arith.cmpf` and `arith.select` are scalar anyway); vector integer min/max
and floor/ceil division would need a vector `llvm.select` and fail the pass.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, llvm
from xdsl.dialects.builtin import (
    AnyFloat,
    BFloat16Type,
    DenseIntOrFPElementsAttr,
    Float32Type,
    FloatAttr,
    IntegerAttr,
    IntegerType,
    ModuleOp,
    VectorType,
    f32,
    i16,
    i32,
)
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.utils.type import get_element_type_or_self

from xunity.dialects.llvm_extra import FPToSIOp, FPToUIOp, UIToFPOp
from xunity.lowering.llvm_patterns import (
    check_lowered,
    llvm_type,
    llvm_value,
    llvm_values,
    replace_bridged,
    replace_by_intrinsic_call,
)

PASS_NAME = "convert-arith-to-llvm"

_BinaryBuilder = Callable[[SSAValue, SSAValue], Operation]
"""An llvm op class built from (lhs, rhs)."""


# ------------------------------------------------------------------ helpers
def _shaped_like(reference: Attribute, element: Attribute) -> Attribute:
    """`element`, or a vector of it shaped like `reference` if that is a vector."""
    if isinstance(reference, VectorType):
        return VectorType(element, reference.get_shape())
    return element


def _is_bf16(type: Attribute) -> bool:
    return isinstance(get_element_type_or_self(type), BFloat16Type)


def _bf16_bits(value: float) -> int:
    """The bf16 bit pattern of `value`, rounded to nearest even like `truncf`."""
    (bits,) = struct.unpack("<I", struct.pack("<f", value))
    if value != value:
        return 0x7FC0
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16) & 0xFFFF


def _constant_attr(value: Attribute, type: Attribute) -> tuple[Attribute, Attribute]:
    """The (value, type) of the llvm constant for arith's (value, type)."""
    new_type = llvm_type(type)
    if isinstance(value, IntegerAttr) and isinstance(new_type, IntegerType):
        return IntegerAttr(value.value.data, new_type), new_type
    if isinstance(value, FloatAttr) and isinstance(type, BFloat16Type):
        return IntegerAttr(_bf16_bits(value.value.data), i16), i16
    if isinstance(value, DenseIntOrFPElementsAttr) and isinstance(type, VectorType):
        values = value.get_values()
        if isinstance(type.element_type, BFloat16Type):
            bits_type = VectorType(i16, type.get_shape())
            bits = [_bf16_bits(float(v)) for v in values]
            return DenseIntOrFPElementsAttr.from_list(bits_type, bits), bits_type
        assert isinstance(new_type, VectorType)
        return DenseIntOrFPElementsAttr.from_list(new_type, values), new_type
    return value, new_type


def _llvm_constant(value: int | float, type: Attribute) -> llvm.ConstantOp:
    """An llvm scalar or splat constant of an integer or float type."""
    element = get_element_type_or_self(type)
    if isinstance(type, VectorType):
        attr = DenseIntOrFPElementsAttr.from_list(type, [value] * type.element_count())
    elif isinstance(element, IntegerType):
        attr = IntegerAttr(int(value), element)
    else:
        assert isinstance(element, AnyFloat)
        attr = FloatAttr(float(value), element)
    return llvm.ConstantOp(attr, type)


def _rebuilt(
    op: Operation, operands: Sequence[SSAValue], result_types: Sequence[Attribute]
) -> Operation:
    """A copy of `op` (properties and attributes) on other operands and types."""
    return type(op).create(
        operands=operands,
        result_types=result_types,
        properties=dict(op.properties),
        attributes=dict(op.attributes),
    )


# ------------------------------------------------------------------ bf16
_BF16_PROMOTED = (
    arith.FloatingPointLikeBinaryOperation,
    arith.NegfOp,
    arith.CmpfOp,
)


class PromoteBF16Arithmetic(RewritePattern):
    """op(bf16 ...) -> truncf(op(extf(...) : f32)); bf16 casts go through f32."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if isinstance(op, _BF16_PROMOTED):
            if not any(_is_bf16(operand.type) for operand in op.operands):
                return
            self._compute_in_f32(op, rewriter)
            return
        if isinstance(op, arith.SIToFPOp | arith.UIToFPOp | arith.TruncFOp):
            source = get_element_type_or_self(op.input.type)
            if not _is_bf16(op.result.type) or isinstance(source, Float32Type):
                return
            wide = _rebuilt(op, [op.input], [_shaped_like(op.result.type, f32)])
            rewriter.replace(
                op, [wide, arith.TruncFOp(wide.results[0], op.result.type)]
            )
            return
        if isinstance(op, arith.FPToSIOp | arith.FPToUIOp | arith.ExtFOp):
            target = get_element_type_or_self(op.result.type)
            if not _is_bf16(op.input.type) or isinstance(target, Float32Type):
                return
            wide = arith.ExtFOp(op.input, _shaped_like(op.input.type, f32))
            rewriter.replace(op, [wide, _rebuilt(op, [wide.result], [op.result.type])])

    @staticmethod
    def _compute_in_f32(op: Operation, rewriter: PatternRewriter) -> None:
        operands: list[SSAValue] = []
        for operand in op.operands:
            if _is_bf16(operand.type):
                wide = arith.ExtFOp(operand, _shaped_like(operand.type, f32))
                rewriter.insert(wide)
                operand = wide.result
            operands.append(operand)
        result_types = [
            _shaped_like(r.type, f32) if _is_bf16(r.type) else r.type
            for r in op.results
        ]
        new_op = _rebuilt(op, operands, result_types)
        narrowed: list[Operation] = []
        results: list[SSAValue] = []
        for old, new in zip(op.results, new_op.results, strict=True):
            if old.type == new.type:
                results.append(new)
                continue
            narrowed.append(arith.TruncFOp(new, old.type))
            results.append(narrowed[-1].results[0])
        rewriter.replace(op, [new_op, *narrowed], results)


class ExtendBF16Lowering(RewritePattern):
    """extf bf16 -> f32  ==>  bitcast(zext(bits) << 16): exact."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: arith.ExtFOp, rewriter: PatternRewriter) -> None:
        if not _is_bf16(op.input.type):
            return
        shape_of = op.input.type
        wide_int = _shaped_like(shape_of, i32)
        ops: list[Operation] = [
            bits := llvm.BitcastOp(op.input, _shaped_like(shape_of, i16)),
            wide := llvm.ZExtOp(bits.result, wide_int),
            sixteen := _llvm_constant(16, wide_int),
            high := llvm.ShlOp(wide.res, sixteen.result),
            result := llvm.BitcastOp(high.res, op.result.type),
        ]
        rewriter.replace(op, ops, [result.result])


class TruncateToBF16Lowering(RewritePattern):
    """truncf f32 -> bf16  ==>  integer round-to-nearest-even; NaN -> quiet NaN."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: arith.TruncFOp, rewriter: PatternRewriter) -> None:
        if not _is_bf16(op.result.type):
            return
        shape_of = op.input.type
        int32 = _shaped_like(shape_of, i32)

        def const(value: int) -> SSAValue:
            return rewriter.insert(_llvm_constant(value, int32)).result

        def binary(cls: _BinaryBuilder, a: SSAValue, b: SSAValue) -> SSAValue:
            return rewriter.insert(cls(a, b)).results[0]

        bits = rewriter.insert(llvm.BitcastOp(op.input, int32)).result
        high = rewriter.insert(llvm.LShrOp(bits, const(16))).res
        lsb = binary(llvm.AndOp, high, const(1))
        bias = binary(llvm.AddOp, lsb, const(0x7FFF))
        rounded = rewriter.insert(
            llvm.LShrOp(binary(llvm.AddOp, bits, bias), const(16))
        )
        quiet = binary(llvm.OrOp, high, const(0x40))
        magnitude = binary(llvm.AndOp, bits, const(0x7FFFFFFF))
        is_nan = rewriter.insert(
            llvm.ICmpOp(magnitude, const(0x7F800000), _icmp_predicate("ugt"))
        ).res
        # Select without llvm.select (scalar-only in xDSL): blend by a mask.
        mask = rewriter.insert(llvm.SExtOp(is_nan, int32)).res
        diff = binary(llvm.AndOp, binary(llvm.XOrOp, rounded.res, quiet), mask)
        chosen = binary(llvm.XOrOp, rounded.res, diff)
        narrow = rewriter.insert(llvm.TruncOp(chosen, _shaped_like(shape_of, i16)))
        rewriter.replace(op, [llvm.BitcastOp(narrow.res, op.result.type)])


# ------------------------------------------------------------------ 1:1 ops
class ConstantLowering(RewritePattern):
    """arith.constant v : T  ==>  llvm.mlir.constant(v) : T' (index: i64, bf16: bits)"""

    @op_type_rewrite_pattern
    def match_and_rewrite(
        self, op: arith.ConstantOp, rewriter: PatternRewriter
    ) -> None:
        value, type = _constant_attr(op.value, op.result.type)
        constant = llvm.ConstantOp(value, type)
        if _is_bf16(op.result.type):
            cast = llvm.BitcastOp(constant.result, op.result.type)
            rewriter.replace(op, [constant, cast])
            return
        replace_bridged(rewriter, op, [constant], [constant.result])


_BINARY_OPS: dict[type[Operation], _BinaryBuilder] = {
    arith.AddiOp: llvm.AddOp,
    arith.SubiOp: llvm.SubOp,
    arith.MuliOp: llvm.MulOp,
    arith.DivSIOp: llvm.SDivOp,
    arith.DivUIOp: llvm.UDivOp,
    arith.RemSIOp: llvm.SRemOp,
    arith.RemUIOp: llvm.URemOp,
    arith.AndIOp: llvm.AndOp,
    arith.OrIOp: llvm.OrOp,
    arith.XOrIOp: llvm.XOrOp,
    arith.ShLIOp: llvm.ShlOp,
    arith.ShRSIOp: llvm.AShrOp,
    arith.ShRUIOp: llvm.LShrOp,
    arith.AddfOp: llvm.FAddOp,
    arith.SubfOp: llvm.FSubOp,
    arith.MulfOp: llvm.FMulOp,
    arith.DivfOp: llvm.FDivOp,
    arith.MaxnumfOp: llvm.VectorFMaxOp,
    arith.MinnumfOp: llvm.VectorFMinOp,
}
"""arith binary op -> the llvm op with the same semantics."""


class BinaryLowering(RewritePattern):
    """arith.<binop> a, b  ==>  llvm.<binop> a, b (fastmath / overflow flags kept)."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        llvm_op = _BINARY_OPS.get(type(op))
        if llvm_op is None:
            return
        lhs, rhs = llvm_values(op.operands, rewriter)
        properties: dict[str, Attribute] = {}
        fastmath = op.properties.get("fastmath")
        if isinstance(fastmath, arith.FastMathFlagsAttr) and fastmath.data:
            properties["fastmathFlags"] = llvm.FastMathAttr(fastmath.data)
        overflow = op.properties.get("overflowFlags")
        if isinstance(overflow, arith.IntegerOverflowAttr) and overflow.data:
            flags = [llvm.OverflowFlag(flag.value) for flag in overflow.data]
            properties["overflowFlags"] = IntegerAttr(
                llvm.OverflowAttr(flags).to_int(), 32
            )
        new_op = llvm_op(lhs, rhs)
        for name, value in properties.items():
            if name in new_op.properties:
                new_op.properties[name] = value
        replace_bridged(rewriter, op, [new_op], new_op.results)


class NegfLowering(RewritePattern):
    """arith.negf x  ==>  llvm.fneg x"""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: arith.NegfOp, rewriter: PatternRewriter) -> None:
        rewriter.replace(op, [llvm.FNegOp(op.operand)])


class IntrinsicBinaryLowering(RewritePattern):
    """arith.maximumf a, b  ==>  llvm.call_intrinsic "llvm.maximum.<T>"(a, b) (+ min)"""

    _INTRINSICS: dict[type[Operation], str] = {
        arith.MaximumfOp: "llvm.maximum",
        arith.MinimumfOp: "llvm.minimum",
    }

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        name = self._INTRINSICS.get(type(op))
        if name is None:
            return
        replace_by_intrinsic_call(op, name, rewriter)


_INTEGER_MIN_MAX: dict[type[Operation], str] = {
    arith.MaxSIOp: "sgt",
    arith.MinSIOp: "slt",
    arith.MaxUIOp: "ugt",
    arith.MinUIOp: "ult",
}


def _icmp_predicate(name: str) -> IntegerAttr[IntegerType]:
    return IntegerAttr(llvm.ICmpPredicateFlag(name).to_int(), 64)


class IntegerMinMaxLowering(RewritePattern):
    """arith.maxsi a, b  ==>  llvm.select (llvm.icmp "sgt" a, b), a, b (+ min, ui)"""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        predicate = _INTEGER_MIN_MAX.get(type(op))
        if predicate is None:
            return
        if isinstance(op.results[0].type, VectorType):
            return  # needs a vector llvm.select
        lhs, rhs = llvm_values(op.operands, rewriter)
        compare = llvm.ICmpOp(lhs, rhs, _icmp_predicate(predicate))
        select = llvm.SelectOp(compare.res, lhs, rhs)
        replace_bridged(rewriter, op, [compare, select], [select.res])


class CmpiLowering(RewritePattern):
    """arith.cmpi pred, a, b  ==>  llvm.icmp "pred" a, b"""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: arith.CmpiOp, rewriter: PatternRewriter) -> None:
        lhs, rhs = llvm_values(op.operands, rewriter)
        name = arith.CMPI_COMPARISON_OPERATIONS[op.predicate.value.data]
        rewriter.replace(op, [llvm.ICmpOp(lhs, rhs, _icmp_predicate(name))])


class CmpfLowering(RewritePattern):
    """arith.cmpf pred, a, b  ==>  llvm.fcmp "pred" a, b"""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: arith.CmpfOp, rewriter: PatternRewriter) -> None:
        name = arith.CMPF_COMPARISON_OPERATIONS[op.predicate.value.data]
        rewriter.replace(op, [llvm.FCmpOp(op.lhs, op.rhs, name)])


class SelectLowering(RewritePattern):
    """arith.select c, a, b  ==>  llvm.select c, a, b"""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: arith.SelectOp, rewriter: PatternRewriter) -> None:
        lhs, rhs = llvm_values([op.lhs, op.rhs], rewriter)
        select = llvm.SelectOp(op.cond, lhs, rhs)
        replace_bridged(rewriter, op, [select], [select.res])


_CASTS: dict[type[Operation], Callable[[SSAValue, Attribute], Operation]] = {
    arith.ExtSIOp: llvm.SExtOp,
    arith.ExtUIOp: llvm.ZExtOp,
    arith.TruncIOp: llvm.TruncOp,
    arith.SIToFPOp: llvm.SIToFPOp,
    arith.UIToFPOp: UIToFPOp,
    arith.FPToSIOp: FPToSIOp,
    arith.FPToUIOp: FPToUIOp,
    arith.ExtFOp: llvm.FPExtOp,
    arith.TruncFOp: llvm.FPTruncOp,
    arith.BitcastOp: llvm.BitcastOp,
}
"""arith cast -> llvm cast (bf16 ext/trunc are matched first by their own patterns)."""


class CastLowering(RewritePattern):
    """arith.<cast> x : A to B  ==>  llvm.<cast> x : A' to B'"""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        llvm_op = _CASTS.get(type(op))
        if llvm_op is None:
            return
        source = llvm_value(op.operands[0], rewriter)
        cast = llvm_op(source, llvm_type(op.results[0].type))
        replace_bridged(rewriter, op, [cast], cast.results)


class IndexCastLowering(RewritePattern):
    """arith.index_cast x  ==>  sext, trunc or nothing, between iN and i64"""

    @op_type_rewrite_pattern
    def match_and_rewrite(
        self, op: arith.IndexCastOp, rewriter: PatternRewriter
    ) -> None:
        source = llvm_value(op.input, rewriter)
        target = llvm_type(op.result.type)
        source_bits = _bit_width(source.type)
        target_bits = _bit_width(target)
        if source_bits == target_bits:
            replace_bridged(rewriter, op, [], [source])
            return
        if source_bits > target_bits:
            cast = llvm.TruncOp(source, target)
        else:
            cast = llvm.SExtOp(source, target)
        replace_bridged(rewriter, op, [cast], cast.results)


def _bit_width(type: Attribute) -> int:
    element = get_element_type_or_self(type)
    assert isinstance(element, IntegerType), element
    return element.width.data


class DivisionRoundingLowering(RewritePattern):
    """floordivsi / ceildivsi / ceildivui  ==>  div, rem and a correction of 0 or 1

    floordivsi(a, b) = a / b - (a % b != 0 && (a % b < 0) != (b < 0))
    ceildivsi(a, b)  = a / b + (a % b != 0 && (a % b < 0) == (b < 0))
    ceildivui(a, b)  = a / b + (a % b != 0)
    """

    @op_type_rewrite_pattern
    def match_and_rewrite(
        self,
        op: arith.FloorDivSIOp | arith.CeilDivSIOp | arith.CeilDivUIOp,
        rewriter: PatternRewriter,
    ) -> None:
        if isinstance(op.result.type, VectorType):
            return  # needs a vector llvm.select
        lhs, rhs = llvm_values([op.lhs, op.rhs], rewriter)
        type = lhs.type
        unsigned = isinstance(op, arith.CeilDivUIOp)
        div_cls = llvm.UDivOp if unsigned else llvm.SDivOp
        rem_cls = llvm.URemOp if unsigned else llvm.SRemOp
        zero = rewriter.insert(_llvm_constant(0, type)).result
        quotient = rewriter.insert(div_cls(lhs, rhs)).res
        remainder = rewriter.insert(rem_cls(lhs, rhs)).res
        inexact = rewriter.insert(
            llvm.ICmpOp(remainder, zero, _icmp_predicate("ne"))
        ).res
        if unsigned:
            adjust = inexact
        else:
            rem_negative = rewriter.insert(
                llvm.ICmpOp(remainder, zero, _icmp_predicate("slt"))
            ).res
            rhs_negative = rewriter.insert(
                llvm.ICmpOp(rhs, zero, _icmp_predicate("slt"))
            ).res
            same_sign = "ne" if isinstance(op, arith.FloorDivSIOp) else "eq"
            signs = rewriter.insert(
                llvm.ICmpOp(rem_negative, rhs_negative, _icmp_predicate(same_sign))
            ).res
            adjust = rewriter.insert(llvm.AndOp(inexact, signs)).res
        step = rewriter.insert(llvm.ZExtOp(adjust, type)).res
        result_cls = llvm.SubOp if isinstance(op, arith.FloorDivSIOp) else llvm.AddOp
        result = result_cls(quotient, step)
        replace_bridged(rewriter, op, [result], [result.res])


# ------------------------------------------------------------------ pass
@dataclass(frozen=True)
class ConvertArithToLlvmPass(ModulePass):
    """Lower every `arith` op to `llvm` ops; fails naming an op it cannot lower."""

    name = "convert-arith-to-llvm"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(PromoteBF16Arithmetic()).rewrite_module(op)
        PatternRewriteWalker(
            GreedyRewritePatternApplier(
                [
                    ConstantLowering(),
                    ExtendBF16Lowering(),
                    TruncateToBF16Lowering(),
                    BinaryLowering(),
                    NegfLowering(),
                    IntrinsicBinaryLowering(),
                    IntegerMinMaxLowering(),
                    CmpiLowering(),
                    CmpfLowering(),
                    SelectLowering(),
                    CastLowering(),
                    IndexCastLowering(),
                    DivisionRoundingLowering(),
                ]
            )
        ).rewrite_module(op)
        check_lowered(op, PASS_NAME, "arith", _unsupported_reason)


def _unsupported_reason(op: Operation) -> str:
    if any(isinstance(r.type, VectorType) for r in op.results):
        return "no lowering for vectors (xDSL's llvm.select is scalar)"
    return "no lowering to llvm"
