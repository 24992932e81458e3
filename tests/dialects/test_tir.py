"""Python builders of the tir dialect: a matmul kernel built op by op."""

import pytest
from xdsl.dialects import arith, func, memref
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    Float32Type,
    FloatAttr,
    IndexType,
    MemRefType,
    ModuleOp,
)
from xdsl.ir import Block, Region, SSAValue
from xdsl.parser import Parser
from xdsl.utils.exceptions import VerifyException

from xunity.dialects.context import make_context
from xunity.dialects.tir import (
    AllocBufferOp,
    BlockOp,
    ForKind,
    ForOp,
    IterKind,
    IterVar,
    LoadOp,
    StoreOp,
    YieldOp,
    index_region,
)

F32 = Float32Type()
MATRIX = MemRefType(F32, [DYNAMIC_INDEX, DYNAMIC_INDEX])


def _index(value: int) -> arith.ConstantOp:
    return arith.ConstantOp.from_int_and_width(value, IndexType())


def _insert(block: Block, *ops) -> None:
    """Insert before the block's tir.yield (or at its end if it has none)."""
    terminator = block.last_op
    for op in ops:
        if isinstance(terminator, YieldOp):
            block.insert_op_before(op, terminator)
        else:
            block.add_op(op)


def build_matmul() -> ModuleOp:
    body = Block(arg_types=[MATRIX, MATRIX, MATRIX])
    a, b, c = body.args
    c0, c1 = _index(0), _index(1)
    n = memref.DimOp(a, c0)
    kk = memref.DimOp(a, c1)
    m = memref.DimOp(b, c1)
    loop_i = ForOp(c0, n, c1, ForKind.PARALLEL)
    loop_j = ForOp(c0, m, c1)
    loop_k = ForOp(c0, kk, c1, "serial")
    iter_vars = [
        IterVar(IterKind.SPATIAL, loop_i.induction_var, n.result),
        IterVar(IterKind.SPATIAL, loop_j.induction_var, m.result),
        IterVar("reduce", loop_k.induction_var, kk.result),
    ]
    block = BlockOp("C", iter_vars, reads=[a, b], writes=[c], init=index_region(3))
    assert block.init is not None
    vi, vj, _ = block.init.block.args
    zero = arith.ConstantOp(FloatAttr(0.0, F32))
    _insert(block.init.block, zero, StoreOp(zero, c, [vi, vj]))
    vi, vj, vk = block.iter_vars
    load_a = LoadOp(a, [vi, vk])
    load_b = LoadOp(b, [vk, vj])
    load_c = LoadOp(c, [vi, vj])
    prod = arith.MulfOp(load_a, load_b)
    total = arith.AddfOp(load_c, prod)
    _insert(
        block.body.block,
        load_a,
        load_b,
        load_c,
        prod,
        total,
        StoreOp(total, c, [vi, vj]),
    )
    _insert(loop_k.body.block, block)
    _insert(loop_j.body.block, loop_k)
    _insert(loop_i.body.block, loop_j)
    body.add_ops([c0, c1, n, kk, m, loop_i, func.ReturnOp()])
    kernel = func.FuncOp("matmul", ([MATRIX] * 3, []), Region(body))
    return ModuleOp([kernel])


def test_matmul_kernel_verifies() -> None:
    build_matmul().verify()


def test_matmul_kernel_reparses_to_the_same_text() -> None:
    module = build_matmul()
    text = str(module)
    assert 'tir.block "C"' in text
    assert " parallel {" in text
    assert " init {" in text
    reparsed = Parser(make_context(), text).parse_module()
    reparsed.verify()
    assert str(reparsed) == text


def test_for_builder_defaults_to_a_serial_loop_with_one_index_arg() -> None:
    c0, c4 = _index(0), _index(4)
    loop = ForOp(c0, c4, c4)
    assert loop.kind.data == ForKind.SERIAL
    assert isinstance(loop.induction_var.type, IndexType)
    assert isinstance(loop.body.block.last_op, YieldOp)


def test_block_builder_records_names_and_kinds() -> None:
    n = _index(8)
    block = BlockOp("B", [IterVar("spatial", n, n), IterVar(IterKind.REDUCE, n, n)])
    assert block.block_name.data == "B"
    assert [kind.data for kind in block.iter_kinds] == [
        IterKind.SPATIAL,
        IterKind.REDUCE,
    ]
    assert len(block.iter_vars) == 2
    assert block.init is None


def test_load_result_is_the_element_type() -> None:
    buffer = SSAValue.get(AllocBufferOp(MemRefType(F32, [4])))
    load = LoadOp(buffer, [_index(0).result])
    assert load.result.type == F32


def test_load_index_count_must_match_rank() -> None:
    buffer = AllocBufferOp(MemRefType(F32, [4, 4]))
    load = LoadOp(buffer, [_index(0).result])
    with pytest.raises(VerifyException, match=r"^tir\.load: index count"):
        load.verify()


def test_store_value_must_have_the_element_type() -> None:
    buffer = AllocBufferOp(MemRefType(F32, [4]))
    i = _index(0)
    store = StoreOp(i, buffer, [i.result])
    with pytest.raises(VerifyException, match=r"^tir\.store: stored value type"):
        store.verify()


def test_alloc_buffer_needs_one_size_per_dynamic_dim() -> None:
    alloc = AllocBufferOp(MemRefType(F32, [DYNAMIC_INDEX, 64]))
    with pytest.raises(VerifyException, match=r"^tir\.alloc_buffer: needs one"):
        alloc.verify()


def test_vectorized_loop_needs_constant_bounds() -> None:
    n = AllocBufferOp(MemRefType(F32, [DYNAMIC_INDEX]), [_index(8).result])
    dim = memref.DimOp(n, _index(0))
    loop = ForOp(_index(0), dim, _index(1), ForKind.VECTORIZED)
    with pytest.raises(VerifyException, match=r"^tir\.for: vectorized loops"):
        loop.verify()


def test_init_needs_a_reduce_iter_var() -> None:
    n = _index(8)
    block = BlockOp("B", [IterVar("spatial", n, n)], init=index_region(1))
    with pytest.raises(VerifyException, match=r"^tir\.block: an init region"):
        block.verify()


def test_unknown_loop_kind_is_rejected() -> None:
    c0 = _index(0)
    with pytest.raises(ValueError):
        ForOp(c0, c0, c0, "pipelined")
