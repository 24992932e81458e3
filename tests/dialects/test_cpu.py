"""Python builders of the cpu dialect and the rules its verifiers enforce."""

from __future__ import annotations

import re

import pytest
from xdsl.builder import Builder, ImplicitBuilder
from xdsl.dialects import arith, func, test
from xdsl.dialects.builtin import (
    Float16Type,
    Float32Type,
    IndexType,
    IntegerType,
    ModuleOp,
    VectorType,
)
from xdsl.dialects.llvm import LLVMPointerType
from xdsl.ir import Attribute, Block, SSAValue
from xdsl.rewriter import InsertPoint
from xdsl.utils.exceptions import VerifyException

from xunity.dialects.context import make_context
from xunity.dialects.cpu import (
    ArgAttr,
    PackedFuncOp,
    ParallelOp,
    ReduceKind,
    ReduceKindAttr,
    RuntimeCallOp,
    VBroadcastOp,
    VFmaOp,
    VLoadOp,
    VReduceOp,
    VStoreOp,
    WorkspaceAllocOp,
    WorkspaceFreeOp,
    YieldOp,
)
from xunity.ir.diagnostics import parse_module
from xunity.ir.symbolic import SymExpr

F32 = Float32Type()
I64 = IntegerType(64)
PTR = LLVMPointerType()
V16F32 = VectorType(F32, [16])


def fails(message: str) -> pytest.RaisesExc[VerifyException]:
    return pytest.raises(VerifyException, match=re.escape(message))


def values(*types: Attribute) -> list[SSAValue]:
    return list(test.TestOp(result_types=types).results)


def saxpy_module() -> tuple[ModuleOp, ParallelOp]:
    """y = a * x + y, built the way the tir -> cpu lowering will build it."""
    saxpy = func.FuncOp("saxpy", ((F32, PTR, PTR, IndexType(), IndexType()), ()))
    a, x, y, lb, ub = saxpy.body.block.args
    with ImplicitBuilder(saxpy.body):
        lanes = arith.ConstantOp.from_int_and_width(16, IndexType())
        va = VBroadcastOp(a, 16)
        parallel = ParallelOp(lb, ub, num_tasks=2)
        func.ReturnOp()
    yield_op = parallel.body.block.last_op
    assert isinstance(yield_op, YieldOp)
    with ImplicitBuilder(Builder(InsertPoint.before(yield_op))):
        offset = arith.MuliOp(parallel.induction_var, lanes)
        vx = VLoadOp(x, offset, V16F32, align=4)
        vy = VLoadOp(y, offset, V16F32, align=4)
        VStoreOp(VFmaOp(va, vx, vy), y, offset, align=4)
    return ModuleOp([saxpy]), parallel


def test_saxpy_builds_and_verifies() -> None:
    module, parallel = saxpy_module()
    module.verify()
    assert parallel.num_tasks is not None and parallel.num_tasks.value.data == 2
    names = [op.name for op in parallel.body.block.ops]
    assert names == [
        "arith.muli", "cpu.vload", "cpu.vload", "cpu.vfma", "cpu.vstore", "cpu.yield"
    ]  # fmt: skip


def test_saxpy_round_trips_through_text() -> None:
    module, _ = saxpy_module()
    text = str(module)
    assert "cpu.parallel %" in text and "num_tasks = 2 {" in text
    reparsed = parse_module(make_context(), text)
    assert str(reparsed) == text


def test_parallel_default_body_is_a_yield() -> None:
    lb, ub = values(IndexType(), IndexType())
    parallel = ParallelOp(lb, ub)
    parallel.verify()
    assert parallel.num_tasks is None
    assert parallel.induction_var.type == IndexType()
    assert isinstance(parallel.body.block.first_op, YieldOp)


def test_parallel_rejects_zero_tasks() -> None:
    lb, ub = values(IndexType(), IndexType())
    with fails("cpu.parallel: num_tasks must be >= 1"):
        ParallelOp(lb, ub, num_tasks=0).verify()


def test_parallel_rejects_non_index_argument() -> None:
    lb, ub = values(IndexType(), IndexType())
    body = Block([YieldOp()], arg_types=[I64])
    with fails("exactly one index argument, got (i64)"):
        ParallelOp(lb, ub, body).verify()


def test_parallel_rejects_missing_yield() -> None:
    lb, ub = values(IndexType(), IndexType())
    body = Block(
        [arith.ConstantOp.from_int_and_width(0, IndexType())], arg_types=[IndexType()]
    )
    with fails("cpu.parallel: body must end with cpu.yield"):
        # Nested verification would first reject the constant as a terminator.
        ParallelOp(lb, ub, body).verify(verify_nested_ops=False)


def test_yield_outside_parallel() -> None:
    with fails("cpu.yield: must terminate a cpu.parallel"):
        YieldOp().verify()


def test_vector_builders_infer_types() -> None:
    s, ptr, off = values(F32, PTR, IndexType())
    broadcast = VBroadcastOp(s, 16)
    assert broadcast.result.type == V16F32
    fma = VFmaOp(broadcast, broadcast, broadcast)
    assert fma.result.type == V16F32
    reduce = VReduceOp("max", fma)
    assert reduce.result.type == F32
    assert reduce.kind.data == ReduceKind.MAX
    load = VLoadOp(ptr, off, V16F32, align=64)
    assert load.align.value.data == 64
    for op in (broadcast, fma, reduce, load, VStoreOp(load, ptr, off, align=4)):
        op.verify()


@pytest.mark.parametrize(
    ("width", "message"),
    [
        (12, "cpu.vbroadcast: vector width 12 is not a power of two"),
        (128, "cpu.vbroadcast: vector width 128 exceeds 64 lanes"),
    ],
)
def test_vector_width_rules(width: int, message: str) -> None:
    (s,) = values(F32)
    with fails(message):
        VBroadcastOp(s, width).verify()


def test_vector_element_type_rule() -> None:
    (s,) = values(IntegerType(1))
    with fails("unsupported vector element type i1"):
        VBroadcastOp(s, 16).verify()


def test_vload_align_must_be_power_of_two() -> None:
    ptr, off = values(PTR, IndexType())
    with fails("cpu.vload: align 3 is not a power of two"):
        VLoadOp(ptr, off, V16F32, align=3).verify()


def test_vbroadcast_element_types_agree() -> None:
    (s,) = values(Float16Type())
    op = VBroadcastOp.create(operands=[s], result_types=[V16F32])
    with fails("scalar type f16 differs from the vector"):
        op.verify()


def test_vfma_needs_floats() -> None:
    (v,) = values(VectorType(IntegerType(32), [8]))
    with fails("cpu.vfma: needs floating-point elements"):
        VFmaOp(v, v, v).verify()


def test_vreduce_result_is_the_element_type() -> None:
    (v,) = values(V16F32)
    op = VReduceOp.create(
        operands=[v],
        result_types=[Float16Type()],
        properties={"kind": ReduceKindAttr(ReduceKind.ADD)},
    )
    with fails("cpu.vreduce: result type f16 differs"):
        op.verify()


def test_runtime_call_infers_results_from_the_signature() -> None:
    n, align, ptr = values(I64, I64, PTR)
    alloc = RuntimeCallOp("XUAlloc", [n, align])
    assert [r.type for r in alloc.res] == [PTR]
    free = RuntimeCallOp("XUFree", [ptr])
    assert list(free.res) == []
    alloc.verify()
    free.verify()


def test_runtime_call_unknown_name() -> None:
    with fails('unknown runtime function "malloc"'):
        RuntimeCallOp("malloc", [])


def test_runtime_call_arity() -> None:
    (n,) = values(I64)
    with fails("XUAlloc takes 2 operands, got 1"):
        RuntimeCallOp("XUAlloc", [n]).verify()


def test_runtime_call_operand_types() -> None:
    n, align = values(IndexType(), I64)
    with fails("XUAlloc operand 0 must be i64, got index"):
        RuntimeCallOp("XUAlloc", [n, align]).verify()


def test_workspace_alloc_and_free() -> None:
    (nbytes,) = values(IndexType())
    alloc = WorkspaceAllocOp(nbytes)
    assert alloc.align.value.data == 64 and alloc.result.type == PTR
    alloc.verify()
    WorkspaceFreeOp(alloc).verify()
    with fails("cpu.workspace_alloc: align 48"):
        WorkspaceAllocOp(nbytes, align=48).verify()


def packed_module(*args: ArgAttr, callee: str = "main") -> ModuleOp:
    main = func.FuncOp("main", ((PTR, PTR), ()))
    with ImplicitBuilder(main.body):
        func.ReturnOp()
    return ModuleOp([main, PackedFuncOp("main_packed", callee, args)])


def test_packed_func_keeps_symbolic_dims() -> None:
    x = ArgAttr("x", F32, ["n", 64])
    y = ArgAttr("y", F32, ["n", SymExpr.of("n") * 2])
    module = packed_module(x, y)
    module.verify()
    packed = module.body.block.last_op
    assert isinstance(packed, PackedFuncOp)
    assert packed.callee.root_reference.data == "main"
    assert packed.args.data[1].shape == (SymExpr.of("n"), SymExpr.of("n") * 2)


@pytest.mark.parametrize(
    ("args", "callee", "message"),
    [
        ((), "", "wrapped symbol must not be empty"),
        ((), "main_packed", "@main_packed cannot wrap itself"),
        ((), "missing", "wrapped function @missing is not defined"),
        (
            (ArgAttr("x", F32, ["n"]), ArgAttr("x", F32, ["n"])),
            "main",
            'argument name "x" is not unique',
        ),
        (
            (ArgAttr("x", IntegerType(16), ["n"]),),
            "main",
            'argument "x" has unsupported element type i16',
        ),
        (
            (ArgAttr("x", F32, [SymExpr.of("m") + 1]),),
            "main",
            "shape variable m",
        ),
    ],
)
def test_packed_func_rules(
    args: tuple[ArgAttr, ...], callee: str, message: str
) -> None:
    module = packed_module(*args, callee=callee)
    with fails(f"cpu.packed_func: {message}"):
        module.verify()
