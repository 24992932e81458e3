# pyright: reportArgumentType=false, reportAssignmentType=false
# pyright: reportAttributeAccessIssue=false
"""XUWorkspaceAlloc / XUWorkspaceFree: a per-thread bump arena for kernel scratch.

    void* XUWorkspaceAlloc(int64_t nbytes, int64_t align)  per-thread arena, LIFO
    void  XUWorkspaceFree(void* ptr)

Kernels allocate and free scratch on every call, in LIFO order, so a bump
pointer beats the heap.  Each thread's state {base, capacity, top} hangs off
a pthread key (thread_keys.py) whose destructor frees it at thread exit.  An
allocation takes [align(top), +nbytes) when it fits; when the arena is empty
and too small it is replaced by one of max(2 * capacity, nbytes,
WORKSPACE_BYTES) bytes; otherwise (or without memory for the state) the
block comes from XUAlloc.  Frees are LIFO: freeing an arena block sets top
back to its start; other pointers go to XUFree.
"""

from __future__ import annotations

from typing import NamedTuple

from llvmlite import ir

from xunity.backends.llvm.runtime.builder import (
    I1,
    I64,
    NULL,
    PTR,
    VOID,
    RuntimeBuilder,
)
from xunity.backends.llvm.runtime.thread_keys import once_key, thread_block
from xunity.ir.abi import MIN_ALIGN

WORKSPACE_BYTES = 1 << 20
"""Smallest per-thread workspace arena (it grows when empty and too small)."""

_BASE, _CAPACITY, _TOP = 0, 8, 16
_STATE_BYTES = 24
"""A thread's arena state: base pointer, capacity and top (bytes used)."""


class _Arena(NamedTuple):
    """Pointers to the fields of a thread's arena state."""

    base: ir.Value
    capacity: ir.Value
    top: ir.Value


def add_workspace(rt: RuntimeBuilder) -> None:
    release = _add_release(rt)
    key = once_key(rt, "xu_workspace_key", release.bitcast(PTR))
    state = _add_state(rt, key)
    _add_alloc(rt, state)
    _add_free(rt, state)


def _add_release(rt: RuntimeBuilder) -> ir.Function:
    """The key's destructor: the arena, then the state, at thread exit."""
    fn, b = rt.internal("xu_workspace_release", VOID, [PTR])
    b.call(rt.runtime("XUFree"), [b.load(rt.field(b, fn.args[0], _BASE, PTR))])
    b.call(rt.libc("free"), [fn.args[0]])
    b.ret_void()
    return fn


def _add_state(
    rt: RuntimeBuilder, key: tuple[ir.Function, ir.GlobalVariable]
) -> ir.Function:
    """ptr xu_workspace_state(i1 create): this thread's state, or NULL."""
    fn, b = rt.internal("xu_workspace_state", PTR, [I1])
    thread_block(
        rt,
        fn,
        b,
        key,
        _STATE_BYTES,
        create=fn.args[0],
        fallback=lambda _: NULL,
        fallback_block="none",
    )
    return fn


def _add_alloc(rt: RuntimeBuilder, state_fn: ir.Function) -> None:
    fn, b = rt.start("XUWorkspaceAlloc")
    nbytes, align = fn.args
    names = ("state", "grow", "regrow", "place", "fits", "fallback")
    blocks = {n: fn.append_basic_block(n) for n in names}
    align = rt.at_least(b, align, MIN_ALIGN)
    size = rt.at_least(b, nbytes, 1)
    state = b.call(state_fn, [I1(1)])
    b.cbranch(b.icmp_unsigned("==", state, NULL), blocks["fallback"], blocks["state"])
    b.position_at_end(blocks["state"])
    arena = _Arena(
        rt.field(b, state, _BASE, PTR),
        rt.field(b, state, _CAPACITY, I64),
        rt.field(b, state, _TOP, I64),
    )
    # Only an empty arena may be replaced: nothing points into it.
    too_small = b.icmp_signed(">", b.add(size, align), b.load(arena.capacity))
    empty = b.icmp_signed("==", b.load(arena.top), I64(0))
    b.cbranch(b.and_(too_small, empty), blocks["grow"], blocks["place"])
    b.position_at_end(blocks["grow"])
    _grow(rt, b, arena, size, align, blocks["regrow"])
    b.branch(blocks["place"])
    b.position_at_end(blocks["place"])
    base = b.load(arena.base)
    start = b.ptrtoint(b.gep(base, [b.load(arena.top)]), I64)
    aligned = b.and_(b.add(start, b.sub(align, I64(1))), b.neg(align))
    offset = b.sub(aligned, b.ptrtoint(base, I64))
    end = b.add(offset, size)
    fits = b.and_(
        b.icmp_unsigned("!=", base, NULL),
        b.icmp_signed("<=", end, b.load(arena.capacity)),
    )
    b.cbranch(fits, blocks["fits"], blocks["fallback"])
    b.position_at_end(blocks["fits"])
    b.store(end, arena.top)
    b.ret(b.gep(base, [offset]))
    b.position_at_end(blocks["fallback"])
    b.ret(b.call(rt.runtime("XUAlloc"), [nbytes, align]))


def _grow(
    rt: RuntimeBuilder,
    b: ir.IRBuilder,
    arena: _Arena,
    size: ir.Value,
    align: ir.Value,
    regrow: ir.Block,
) -> None:
    """Replace the empty arena by max(2 * capacity, size + align,
    WORKSPACE_BYTES) bytes; `b` ends in `regrow` (the arena stays empty if
    XUAlloc fails)."""
    doubled = b.mul(b.load(arena.capacity), I64(2))
    b.call(rt.runtime("XUFree"), [b.load(arena.base)])
    b.store(NULL, arena.base)
    b.store(I64(0), arena.capacity)
    wanted = rt.at_least(b, b.add(size, align), doubled)
    wanted = rt.at_least(b, wanted, I64(WORKSPACE_BYTES))
    b.branch(regrow)
    b.position_at_end(regrow)
    fresh = b.call(rt.runtime("XUAlloc"), [wanted, I64(MIN_ALIGN)])
    with b.if_then(b.icmp_unsigned("!=", fresh, NULL)):
        b.store(fresh, arena.base)
        b.store(wanted, arena.capacity)


def _add_free(rt: RuntimeBuilder, state_fn: ir.Function) -> None:
    fn, b = rt.start("XUWorkspaceFree")
    pointer = fn.args[0]
    names = ("state", "arena", "heap")
    blocks = {n: fn.append_basic_block(n) for n in names}
    state = b.call(state_fn, [I1(0)])
    b.cbranch(b.icmp_unsigned("==", state, NULL), blocks["heap"], blocks["state"])
    b.position_at_end(blocks["state"])
    base = b.load(rt.field(b, state, _BASE, PTR))
    capacity = b.load(rt.field(b, state, _CAPACITY, I64))
    offset = b.sub(b.ptrtoint(pointer, I64), b.ptrtoint(base, I64))
    inside = b.and_(
        b.icmp_unsigned("!=", base, NULL),
        b.and_(
            b.icmp_signed(">=", offset, I64(0)),
            b.icmp_signed("<", offset, capacity),
        ),
    )
    b.cbranch(inside, blocks["arena"], blocks["heap"])
    b.position_at_end(blocks["arena"])
    b.store(offset, rt.field(b, state, _TOP, I64))
    b.ret_void()
    b.position_at_end(blocks["heap"])
    b.call(rt.runtime("XUFree"), [pointer])
    b.ret_void()
