"""Manipulation kernels vs numpy, through `xunity.compile`.

Every kernel only moves elements, so results must be bit-exact for every
dtype (f32, f16, i32, bool).  Symbolic dims run at two sizes plus 0 and 1.
Out-of-range `take` indices are clamped after numpy's negative wrap, and an
out-of-range `strided_slice` end is clamped (documented in
xunity/legalize/manipulation.py); those tests pin that behaviour.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from legalize_harness import (
    DTYPES,
    RNG,
    check_exact,
    compiled,
    main_program,
    random_array,
    tensor,
)

from xunity.runtime.executable import Executable

random = functools.partial(random_array, ints=(-1000, 1000))


def _unary(op_text: str, src: str, dst: str, dtype: str) -> Executable:
    """One op `%y = <op_text> %x ...` from `src` dims to `dst` dims."""
    src_type, dst_type = tensor(src, dtype), tensor(dst, dtype)
    op = f"%y = {op_text} : {src_type} -> {dst_type}"
    return compiled(main_program(op, {"x": src_type}, dst_type))


# ------------------------------------------------------------------ reshape
RESHAPES = [
    # src dims, dst dims, (src shape, dst shape) pairs
    ("n, 12, 64", "n, 768", [((3, 12, 64), (3, 768)), ((0, 12, 64), (0, 768))]),
    ("n, 768", "n, 12, 64", [((2, 768), (2, 12, 64)), ((1, 768), (1, 12, 64))]),
    ("2, 3", "3, 2", [((2, 3), (3, 2))]),
    ("n, 6", "3, 2 * n", [((5, 6), (3, 10)), ((1, 6), (3, 2)), ((0, 6), (3, 0))]),
    ("4, n, 3", "2, 2 * n, 3", [((4, 7, 3), (2, 14, 3)), ((4, 1, 3), (2, 2, 3))]),
    ("1, n, 1", "n", [((1, 9, 1), (9,)), ((1, 1, 1), (1,))]),
    ("n, m", "m * n", [((3, 5), (15,)), ((1, 4), (4,)), ((2, 0), (0,))]),
    ("1, 1", "", [((1, 1), ())]),
    ("", "1", [((), (1,))]),
]


@pytest.mark.parametrize("dtype", ["f32", "f16", "i32", "i1"])
@pytest.mark.parametrize(("src", "dst", "cases"), RESHAPES)
def test_reshape(
    src: str,
    dst: str,
    cases: list[tuple[tuple[int, ...], tuple[int, ...]]],
    dtype: str,
) -> None:
    exe = _unary("graph.reshape %x", src, dst, dtype)
    for shape, dst_shape in cases:
        x = random(shape, dtype)
        check_exact(exe["main"](x), x.reshape(dst_shape))


# ------------------------------------------------------------------ permute_dims
@pytest.mark.parametrize("dtype", ["f32", "f16", "i32", "i1"])
@pytest.mark.parametrize(
    ("src", "axes", "dst", "shapes"),
    [
        ("n, 4, 8", [2, 0, 1], "8, n, 4", [(3, 4, 8), (0, 4, 8), (1, 4, 8)]),
        ("n, m", [1, 0], "m, n", [(3, 5), (1, 7), (4, 0)]),
        ("2, n, 3", [-1, 0, -2], "3, 2, n", [(2, 5, 3), (2, 1, 3)]),
    ],
)
def test_permute_dims(
    src: str, axes: list[int], dst: str, shapes: list[tuple[int, ...]], dtype: str
) -> None:
    exe = _unary(f"graph.permute_dims %x axes = {axes}", src, dst, dtype)
    for shape in shapes:
        x = random(shape, dtype)
        check_exact(exe["main"](x), np.transpose(x, axes))


# ------------------------------------------------------------------ axes ops
@pytest.mark.parametrize("dtype", ["f32", "f16", "i32", "i1"])
def test_expand_dims(dtype: str) -> None:
    exe = _unary("graph.expand_dims %x axes = [0, -1]", "n, 4", "1, n, 4, 1", dtype)
    for n in (3, 1, 0):
        x = random((n, 4), dtype)
        check_exact(exe["main"](x), np.expand_dims(x, (0, -1)))


@pytest.mark.parametrize("dtype", ["f32", "f16", "i32", "i1"])
def test_squeeze(dtype: str) -> None:
    exe = _unary("graph.squeeze %x axes = [0, -1]", "1, n, 4, 1", "n, 4", dtype)
    for n in (3, 1, 0):
        x = random((1, n, 4, 1), dtype)
        check_exact(exe["main"](x), np.squeeze(x, (0, -1)))


@pytest.mark.parametrize("dtype", ["f32", "f16", "i32", "i1"])
@pytest.mark.parametrize(
    ("src", "dst", "cases"),
    [
        ("n, 1", "n, 5", [((3, 1), (3, 5)), ((1, 1), (1, 5)), ((0, 1), (0, 5))]),
        ("n", "2, n", [((6,), (2, 6)), ((1,), (2, 1)), ((0,), (2, 0))]),
        ("1, n, 1", "3, n, 2", [((1, 4, 1), (3, 4, 2)), ((1, 0, 1), (3, 0, 2))]),
    ],
)
def test_broadcast_to(
    src: str,
    dst: str,
    cases: list[tuple[tuple[int, ...], tuple[int, ...]]],
    dtype: str,
) -> None:
    exe = _unary("graph.broadcast_to %x", src, dst, dtype)
    for shape, dst_shape in cases:
        x = random(shape, dtype)
        check_exact(exe["main"](x), np.broadcast_to(x, dst_shape))


@pytest.mark.parametrize("dtype", ["f32", "i1"])
def test_broadcast_to_new_symbolic_dims(dtype: str) -> None:
    """n appears only in the result: a second argument binds it."""
    src_type, dst_type = tensor("1, 4", dtype), tensor("n, 3, 4", dtype)
    op = f"%y = graph.broadcast_to %x : {src_type} -> {dst_type}"
    exe = compiled(main_program(op, {"x": src_type, "s": tensor("n", "f32")}, dst_type))
    x = random((1, 4), dtype)
    for n in (5, 1, 0):
        out = exe["main"](x, np.zeros(n, np.float32))
        check_exact(out, np.broadcast_to(x, (n, 3, 4)))


# ------------------------------------------------------------------ concat, split
@pytest.mark.parametrize("dtype", ["f32", "f16", "i32", "i1"])
def test_concat_rows(dtype: str) -> None:
    a, b, c = tensor("n, 4", dtype), tensor("1, 4", dtype), tensor("m, 4", dtype)
    result = tensor("n + m + 1, 4", dtype)
    op = f"%y = graph.concat %a, %b, %c axis = 0 : {a}, {b}, {c} -> {result}"
    exe = compiled(main_program(op, {"a": a, "b": b, "c": c}, result))
    for n, m in ((3, 5), (0, 2), (1, 0), (0, 0)):
        xs = [random((n, 4), dtype), random((1, 4), dtype), random((m, 4), dtype)]
        check_exact(exe["main"](*xs), np.concatenate(xs, axis=0))


@pytest.mark.parametrize("dtype", ["f32", "f16", "i32"])
def test_concat_last_axis(dtype: str) -> None:
    a, b = tensor("2, n, 3", dtype), tensor("2, n, 1", dtype)
    result = tensor("2, n, 4", dtype)
    op = f"%y = graph.concat %a, %b axis = -1 : {a}, {b} -> {result}"
    exe = compiled(main_program(op, {"a": a, "b": b}, result))
    for n in (5, 1, 0):
        xs = [random((2, n, 3), dtype), random((2, n, 1), dtype)]
        check_exact(exe["main"](*xs), np.concatenate(xs, axis=-1))


@pytest.mark.parametrize("dtype", ["f32", "f16", "i32", "i1"])
def test_split_sections(dtype: str) -> None:
    src = tensor("3, 2 * n", dtype)
    part = tensor("3, n", dtype)
    result = f"{part}, {part}"
    # n only occurs as 2 * n in x: a second argument binds it.
    text = (
        f"func.func @main(%x: {src}, %s: !graph.tensor<[n], f32>) -> ({result}) {{\n"
        f"  %a, %b = graph.split %x sections = 2 axis = -1 : {src} -> {result}\n"
        f"  func.return %a, %b : {result}\n"
        "}\n"
    )
    exe = compiled(text)
    for n in (4, 1, 0):
        x = random((3, 2 * n), dtype)
        outs = exe["main"](x, np.zeros(n, np.float32))
        for out, ref in zip(outs, np.split(x, 2, axis=-1), strict=True):
            check_exact(out, ref)


@pytest.mark.parametrize("dtype", ["f32", "f16", "i32", "i1"])
def test_split_indices(dtype: str) -> None:
    src = tensor("n, 2", dtype)
    parts = [tensor("3, 2", dtype), tensor("2, 2", dtype), tensor("n - 5, 2", dtype)]
    result = ", ".join(parts)
    text = (
        f"func.func @main(%x: {src}) -> ({result}) {{\n"
        f"  %a, %b, %c = graph.split %x indices = [3, 5] axis = 0 : {src} -> {result}\n"
        f"  func.return %a, %b, %c : {result}\n"
        "}\n"
    )
    exe = compiled(text)
    for n in (9, 6, 5):
        x = random((n, 2), dtype)
        outs = exe["main"](x)
        for out, ref in zip(outs, np.split(x, [3, 5], axis=0), strict=True):
            check_exact(out, ref)


# ------------------------------------------------------------------ strided_slice
def _slice(axes: str, begin: str, end: str, strides: str) -> str:
    return (
        f"graph.strided_slice %x axes = {axes} begin = #graph.dims<{begin}> "
        f"end = #graph.dims<{end}> strides = {strides}"
    )


@pytest.mark.parametrize("dtype", ["f32", "f16", "i32", "i1"])
def test_strided_slice_in_bounds(dtype: str) -> None:
    op = _slice("[0]", "[1]", "[n]", "[2]")
    exe = _unary(op, "n, 6", "(n - 1) ceildiv 2, 6", dtype)
    for n in (7, 8, 2, 1, 0):
        x = random((n, 6), dtype)
        check_exact(exe["main"](x), x[1:n:2])


@pytest.mark.parametrize("dtype", ["f32", "f16", "i32"])
def test_strided_slice_two_axes(dtype: str) -> None:
    op = _slice("[1, 0]", "[2, 0]", "[8, n]", "[3, 1]")
    exe = _unary(op, "n, 10", "n, 2", dtype)
    for n in (4, 1, 0):
        x = random((n, 10), dtype)
        check_exact(exe["main"](x), x[:, 2:8:3])


def _kv_cache(dtype: str) -> Executable:
    """cache[m, 4] sliced to its first n rows, n bound by a second argument."""
    cache, tokens = tensor("m, 4", dtype), tensor("n", "f32")
    result = tensor("n, 4", dtype)
    op = (
        "%y = graph.strided_slice %x axes = [0] begin = #graph.dims<[0]> "
        f"end = #graph.dims<[n]> strides = [1] : {cache} -> {result}"
    )
    return compiled(main_program(op, {"x": cache, "t": tokens}, result))


@pytest.mark.parametrize("dtype", ["f32", "f16", "i32"])
def test_strided_slice_symbolic_end(dtype: str) -> None:
    exe = _kv_cache(dtype)
    for m, n in ((8, 3), (8, 8), (5, 0), (1, 1)):
        x = random((m, 4), dtype)
        check_exact(exe["main"](x, np.zeros(n, np.float32)), x[:n])


@pytest.mark.parametrize("dtype", ["f32", "i32"])
def test_strided_slice_end_past_the_dim_clamps(dtype: str) -> None:
    """Rows past the cache repeat its last row; an empty cache gives zeros."""
    exe = _kv_cache(dtype)
    x = random((3, 4), dtype)
    expected = x[np.minimum(np.arange(6), 2)]
    check_exact(exe["main"](x, np.zeros(6, np.float32)), expected)
    empty = exe["main"](random((0, 4), dtype), np.zeros(2, np.float32))
    check_exact(empty, np.zeros((2, 4), DTYPES[dtype]))


# ------------------------------------------------------------------ take
def _take_graph(
    table: str, ids: str, result: str, axis: int, dtype: str, id_type: str
) -> Executable:
    table_type, ids_type = tensor(table, dtype), tensor(ids, id_type)
    result_type = tensor(result, dtype)
    op = (
        f"%y = graph.take %x, %i axis = {axis} : {table_type}, {ids_type} "
        f"-> {result_type}"
    )
    return compiled(main_program(op, {"x": table_type, "i": ids_type}, result_type))


def _take_reference(x: np.ndarray, ids: np.ndarray, axis: int) -> np.ndarray:
    dim = x.shape[axis]
    wrapped = np.where(ids < 0, ids + dim, ids)
    return np.take(x, np.clip(wrapped, 0, dim - 1), axis=axis)


@pytest.mark.parametrize("dtype", ["f32", "f16", "i32", "i1"])
@pytest.mark.parametrize("id_type", ["i64", "i32"])
def test_take_rows(dtype: str, id_type: str) -> None:
    exe = _take_graph("10, 4", "n", "n, 4", 0, dtype, id_type)
    np_ids = np.int64 if id_type == "i64" else np.int32
    x = random((10, 4), dtype)
    for n in (7, 1, 0):
        ids = RNG.integers(-10, 10, n).astype(np_ids)  # negative ids count from the end
        check_exact(exe["main"](x, ids), np.take(x, ids, axis=0))


@pytest.mark.parametrize("dtype", ["f32", "f16", "i32"])
def test_take_axis_one_with_matrix_ids(dtype: str) -> None:
    exe = _take_graph("3, m", "2, n", "3, 2, n", 1, dtype, "i64")
    for m, n in ((6, 4), (1, 3), (5, 0)):
        x = random((3, m), dtype)
        ids = RNG.integers(0, m, (2, n)).astype(np.int64)
        check_exact(exe["main"](x, ids), np.take(x, ids, axis=1))


@pytest.mark.parametrize("id_type", ["i64", "i32"])
def test_take_out_of_range_ids_clamp(id_type: str) -> None:
    exe = _take_graph("10, 4", "n", "n, 4", 0, "f32", id_type)
    np_ids = np.int64 if id_type == "i64" else np.int32
    x = random((10, 4), "f32")
    big = np.iinfo(np_ids).max
    ids = np.array([10, 11, -11, -100, big, -big - 1, 9, -1], np_ids)
    check_exact(exe["main"](x, ids), _take_reference(x, ids, 0))


def test_take_from_an_empty_axis_gives_zeros() -> None:
    exe = _take_graph("m, 4", "n", "n, 4", 0, "f32", "i64")
    ids = np.array([0, 3, -1], np.int64)
    check_exact(exe["main"](random((0, 4), "f32"), ids), np.zeros((3, 4), np.float32))
    x = random((5, 4), "f32")
    check_exact(exe["main"](x, ids), _take_reference(x, ids, 0))
