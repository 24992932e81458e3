"""What the convert-*-to-llvm passes share: the type mapping and the cast bridges.

xDSL has no dialect-conversion framework, so types stay legal by ordering
(docs/lowering.md): a pass that gives a value its llvm type (`index` ->
`i64`) leaves a `builtin.unrealized_conversion_cast` back to the old type
for users that are not converted yet, and a pass that needs the llvm type
of an operand looks through such a cast or inserts the opposite one.
`reconcile-unrealized-casts` removes the pairs once every pass has run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from xdsl.dialects import llvm
from xdsl.dialects.builtin import (
    AnyFloat,
    BFloat16Type,
    FileLineColLoc,
    IndexType,
    IntegerType,
    ModuleOp,
    UnrealizedConversionCastOp,
    VectorType,
    i64,
)
from xdsl.ir import Attribute, Block, Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter
from xdsl.rewriter import InsertPoint
from xdsl.traits import SymbolTable
from xdsl.utils.exceptions import PassFailedException
from xdsl.utils.type import get_element_type_or_self

INDEX_TYPE: IntegerType = i64
"""What `index` becomes: xunity only targets 64-bit hosts."""


def llvm_type(type: Attribute) -> Attribute:
    """`index` -> i64, also as a vector element; every other type is kept."""
    if isinstance(type, IndexType):
        return INDEX_TYPE
    if isinstance(type, VectorType) and isinstance(type.element_type, IndexType):
        return VectorType(INDEX_TYPE, type.get_shape())
    return type


def intrinsic_name(base: str, type: Attribute) -> str:
    """LLVM's overloaded intrinsic name: `llvm.maximum` + f32 -> `llvm.maximum.f32`,
    + vector<16xf32> -> `llvm.maximum.v16f32`."""
    element = get_element_type_or_self(type)
    if isinstance(element, IntegerType):
        suffix = f"i{element.width.data}"
    elif isinstance(element, AnyFloat) and not isinstance(element, BFloat16Type):
        suffix = f"f{element.bitwidth}"
    else:
        raise ValueError(f"no intrinsic suffix for {type}")
    if isinstance(type, VectorType):
        suffix = f"v{type.get_shape()[0]}{suffix}"
    return f"{base}.{suffix}"


def replace_by_intrinsic_call(
    op: Operation, base: str, rewriter: PatternRewriter
) -> None:
    """op ==> llvm.call_intrinsic "<base>.<T>"(operands), T = its result type."""
    result_type = op.results[0].type
    call = llvm.CallIntrinsicOp(
        intrinsic_name(base, result_type), op.operands, [result_type]
    )
    rewriter.replace(op, [call])


def llvm_value(value: SSAValue, rewriter: PatternRewriter) -> SSAValue:
    """`value` with its llvm type: itself, a bridging cast's input, or a new cast."""
    target = llvm_type(value.type)
    if target == value.type:
        return value
    owner = value.owner
    if (
        isinstance(owner, UnrealizedConversionCastOp)
        and len(owner.inputs) == 1
        and owner.inputs[0].type == target
    ):
        return owner.inputs[0]
    return rewriter.insert(UnrealizedConversionCastOp.get([value], [target])).results[0]


def llvm_values(
    values: Sequence[SSAValue], rewriter: PatternRewriter
) -> list[SSAValue]:
    return [llvm_value(value, rewriter) for value in values]


def replace_bridged(
    rewriter: PatternRewriter,
    op: Operation,
    new_ops: Sequence[Operation],
    new_results: Sequence[SSAValue],
) -> None:
    """Replace `op`; a result whose type changed reaches old users through a cast."""
    casts: list[Operation] = []
    results: list[SSAValue] = []
    for old, new in zip(op.results, new_results, strict=True):
        if old.type == new.type:
            results.append(new)
            continue
        cast = UnrealizedConversionCastOp.get([new], [old.type])
        casts.append(cast)
        results.append(cast.results[0])
    rewriter.replace(op, [*new_ops, *casts], results)


def retype_block_arguments(block: Block, rewriter: PatternRewriter) -> None:
    """Give every argument of `block` its llvm type; old users see a cast of it."""
    for arg in block.args:
        old_type = arg.type
        new_type = llvm_type(old_type)
        if new_type == old_type:
            continue
        new_arg = rewriter.replace_value_with_new_type(arg, new_type)
        if not new_arg.uses:
            continue
        cast = UnrealizedConversionCastOp.get([new_arg], [old_type])
        rewriter.insert(cast, InsertPoint.at_start(block))
        new_arg.replace_uses_with_if(
            cast.results[0], lambda use, cast=cast: use.operation is not cast
        )


def declare_function(
    rewriter: PatternRewriter,
    user: Operation,
    name: str,
    inputs: Sequence[Attribute],
    output: Attribute | None,
) -> None:
    """Add an external `llvm.func @name` to `user`'s module unless it has one."""
    module = user.get_toplevel_object()
    assert isinstance(module, ModuleOp), "declarations need an enclosing module"
    if SymbolTable.lookup_symbol(module, name) is not None:
        return
    declaration = llvm.FuncOp(
        name,
        llvm.LLVMFunctionType(inputs, output),
        linkage=llvm.LinkageAttr("external"),
    )
    rewriter.insert(declaration, InsertPoint.at_end(module.body.block))


def conversion_error(
    pass_name: str, op: Operation, message: str
) -> PassFailedException:
    """`file:line:col: error: pass: op.name: message` (the op's location if any)."""
    where = ""
    if isinstance(op.location, FileLineColLoc):
        loc = op.location
        where = f"{loc.filename.data}:{loc.line.data}:{loc.column.data}: "
    return PassFailedException(f"{where}error: {pass_name}: {op.name}: {message}")


def check_lowered(
    module: ModuleOp,
    pass_name: str,
    dialect: str,
    reason: Callable[[Operation], str] = lambda _: "no lowering to llvm",
    kept: tuple[type[Operation], ...] = (),
) -> None:
    """Fail on the first op of `dialect` the patterns left (they skip, never raise)."""
    for op in module.walk():
        if op.dialect_name() == dialect and not isinstance(op, kept):
            raise conversion_error(pass_name, op, reason(op))
