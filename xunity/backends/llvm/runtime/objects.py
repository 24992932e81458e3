# pyright: reportArgumentType=false, reportAssignmentType=false
# pyright: reportAttributeAccessIssue=false
"""tvm-ffi objects: reference counts, deleters and arrays.

    void  XUObjectIncRef(void* obj)                  tvm-ffi reference counts
    void  XUObjectDecRef(void* obj)
    void* XUArrayCreate(int64_t size, void* const* items)  takes the items

Returned values are tvm-ffi objects built here, so that tvm-ffi takes them
for its own (tensors: tensors.py).  Every object is one XUAlloc block:
OBJECT_PREFIX_BYTES of zeros (the allocation header tvm-ffi and its Python
binding may keep in front of an object), then the object, whose header
holds tvm-ffi's combined reference count and a deleter.  The deleters are
this module's internal functions, so in the JIT they belong to the process
runtime, which outlives every engine (and every returned array).  The
layouts are in xunity/ir/abi.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from llvmlite import ir

from xunity.backends.llvm.runtime.builder import (
    I32,
    I64,
    NULL,
    PTR,
    VOID,
    RuntimeBuilder,
    return_null,
)
from xunity.ir.abi import (
    ANY_BYTES,
    ANY_TYPE_INDEX,
    ANY_VALUE,
    ARRAY_CAPACITY,
    ARRAY_DATA,
    ARRAY_DATA_DELETER,
    ARRAY_ITEMS,
    ARRAY_SIZE,
    COMBINED_REF_ONE,
    DELETER_STRONG,
    DELETER_WEAK,
    MANAGED_CONTEXT,
    MIN_ALIGN,
    OBJECT_DELETER,
    OBJECT_PREFIX_BYTES,
    OBJECT_REF_COUNT,
    OBJECT_TYPE_INDEX,
    TVM_FFI_ARRAY,
    TVM_FFI_STATIC_OBJECT_BEGIN,
)

DELETER = ir.FunctionType(VOID, [PTR, I32])
"""void (*deleter)(void* self, int flags)"""


@dataclass(frozen=True)
class Deleters:
    """The internal deleters that the object constructors install."""

    tensor: ir.Function
    array: ir.Function
    dlpack: ir.Function
    """DLManagedTensorVersioned.deleter of a tensor handed to DLPack."""


def add_lifetimes(rt: RuntimeBuilder) -> Deleters:
    """XUObjectIncRef, XUObjectDecRef, and the deleters they end in."""
    _add_incref(rt)
    decref = _add_decref(rt)
    tensor = _add_tensor_deleter(rt)
    array = _add_array_deleter(rt, decref)
    return Deleters(tensor, array, _add_dlpack_deleter(rt, decref))


def _add_incref(rt: RuntimeBuilder) -> None:
    fn, b = rt.start("XUObjectIncRef")
    with b.if_then(b.icmp_unsigned("!=", fn.args[0], NULL)):
        count = b.bitcast(fn.args[0], I64.as_pointer())  # OBJECT_REF_COUNT
        b.atomic_rmw("add", count, I64(1), "monotonic")
    b.ret_void()


def _add_decref(rt: RuntimeBuilder) -> ir.Function:
    """tvm-ffi's Object::DecRef: the strong count is the low half, the weak
    count the high half; the deleter is told which of them reached 0."""
    decref, b = rt.start("XUObjectDecRef")
    obj = decref.args[0]
    names = ("live", "both", "strong", "weak", "done")
    blocks = {n: decref.append_basic_block(n) for n in names}
    b.cbranch(b.icmp_unsigned("==", obj, NULL), blocks["done"], blocks["live"])
    b.position_at_end(blocks["live"])
    count = b.bitcast(obj, I64.as_pointer())
    before = b.atomic_rmw("sub", count, I64(1), "release")
    deleter = b.load(rt.field(b, obj, OBJECT_DELETER, DELETER.as_pointer()))
    last_strong = b.icmp_unsigned("==", b.and_(before, I64(0xFFFFFFFF)), I64(1))
    both = b.icmp_unsigned("==", before, I64(COMBINED_REF_ONE))
    b.cbranch(both, blocks["both"], blocks["strong"])
    b.position_at_end(blocks["both"])
    b.fence("acquire")
    b.call(deleter, [obj, I32(DELETER_STRONG | DELETER_WEAK)])
    b.ret_void()
    b.position_at_end(blocks["strong"])
    with b.if_then(last_strong):
        b.fence("acquire")
        b.call(deleter, [obj, I32(DELETER_STRONG)])
        weak_before = b.atomic_rmw("sub", count, I64(1 << 32), "release")
        b.cbranch(
            b.icmp_unsigned("==", weak_before, I64(1 << 32)),
            blocks["weak"],
            blocks["done"],
        )
        b.position_at_end(blocks["weak"])
        b.fence("acquire")
        b.call(deleter, [obj, I32(DELETER_WEAK)])
    b.branch(blocks["done"])
    b.position_at_end(blocks["done"])
    b.ret_void()
    return decref


def _has_flag(b: ir.IRBuilder, flags: ir.Value, flag: int) -> ir.Value:
    return b.icmp_unsigned("!=", b.and_(flags, I32(flag)), I32(0))


def _free_when_weak_gone(
    rt: RuntimeBuilder, b: ir.IRBuilder, obj: ir.Value, flags: ir.Value
) -> None:
    """The block goes with the last weak reference: nothing can reach it then."""
    with b.if_then(_has_flag(b, flags, DELETER_WEAK)):
        b.call(rt.runtime("XUFree"), [b.gep(obj, [I64(-OBJECT_PREFIX_BYTES)])])


def _add_tensor_deleter(rt: RuntimeBuilder) -> ir.Function:
    """A tensor owns nothing but its block (its data is in it)."""
    fn, b = rt.internal("xu_tensor_deleter", VOID, [PTR, I32])
    _free_when_weak_gone(rt, b, *fn.args)
    b.ret_void()
    return fn


def _add_array_deleter(rt: RuntimeBuilder, decref: ir.Function) -> ir.Function:
    """An array's strong end releases its object items; its weak end, the block."""
    fn, b = rt.internal("xu_array_deleter", VOID, [PTR, I32])
    obj, flags = fn.args
    strong = _has_flag(b, flags, DELETER_STRONG)
    release = fn.append_basic_block("release")
    after = fn.append_basic_block("after")
    b.cbranch(strong, release, after)
    b.position_at_end(release)
    size = b.load(rt.field(b, obj, ARRAY_SIZE, I64))
    i = rt.counted_loop(fn, b, size, "items")
    item = _array_item(b, obj, i)
    type_index = b.load(b.bitcast(item, I32.as_pointer()))  # ANY_TYPE_INDEX
    is_object = b.icmp_signed(">=", type_index, I32(TVM_FFI_STATIC_OBJECT_BEGIN))
    with b.if_then(is_object):
        b.call(decref, [b.load(rt.field(b, item, ANY_VALUE, PTR))])
    rt.next_iteration(b, "items")
    b.branch(after)
    b.position_at_end(after)
    _free_when_weak_gone(rt, b, obj, flags)
    b.ret_void()
    return fn


def _add_dlpack_deleter(rt: RuntimeBuilder, decref: ir.Function) -> ir.Function:
    """DLManagedTensorVersioned.deleter: the reference it owned goes."""
    fn, b = rt.internal("xu_dlpack_deleter", VOID, [PTR])
    manager = b.load(rt.field(b, fn.args[0], MANAGED_CONTEXT, PTR))
    b.call(decref, [manager])
    b.ret_void()
    return fn


def _array_item(b: ir.IRBuilder, obj: ir.Value, i: ir.Value) -> ir.Value:
    """The address of an array object's TVMFFIAny item `i`."""
    return b.gep(obj, [b.add(I64(ARRAY_ITEMS), b.mul(i, I64(ANY_BYTES)))])


def new_object(
    rt: RuntimeBuilder,
    b: ir.IRBuilder,
    nbytes: ir.Value,
    type_index: int,
    deleter: ir.Function,
) -> ir.Value:
    """A fresh block of `nbytes` with an object header: one strong and one
    weak reference, `type_index`, `deleter`.  The caller checks for NULL and
    finds the object OBJECT_PREFIX_BYTES into the block."""
    block = b.call(rt.runtime("XUAlloc"), [nbytes, I64(MIN_ALIGN)])
    with b.if_then(b.icmp_unsigned("!=", block, NULL)):
        b.store(I64(0), rt.field(b, block, 0, I64))
        b.store(I64(0), rt.field(b, block, 8, I64))
        obj = b.gep(block, [I64(OBJECT_PREFIX_BYTES)])
        b.store(I64(COMBINED_REF_ONE), rt.field(b, obj, OBJECT_REF_COUNT, I64))
        type_word = rt.field(b, obj, OBJECT_TYPE_INDEX, I64)  # and the padding
        b.store(I64(type_index), type_word)
        b.store(deleter, rt.field(b, obj, OBJECT_DELETER, DELETER.as_pointer()))
    return block


def add_array_create(rt: RuntimeBuilder, deleter: ir.Function) -> None:
    """void* XUArrayCreate(int64_t size, void* const* items): takes the items.

    Packed functions return several results as one array of tensors.
    """
    fn, b = rt.start("XUArrayCreate")
    count, items = fn.args
    fail = return_null(fn)
    rt.check(fn, b, b.icmp_signed("<", count, I64(0)), fail, "checked")
    nbytes = b.add(I64(OBJECT_PREFIX_BYTES + ARRAY_ITEMS), b.mul(count, I64(ANY_BYTES)))
    block = new_object(rt, b, nbytes, TVM_FFI_ARRAY, deleter)
    rt.check(fn, b, b.icmp_unsigned("==", block, NULL), fail, "allocated")
    obj = b.gep(block, [I64(OBJECT_PREFIX_BYTES)])
    b.store(b.gep(obj, [I64(ARRAY_ITEMS)]), rt.field(b, obj, ARRAY_DATA, PTR))
    b.store(count, rt.field(b, obj, ARRAY_SIZE, I64))
    b.store(count, rt.field(b, obj, ARRAY_CAPACITY, I64))
    b.store(NULL, rt.field(b, obj, ARRAY_DATA_DELETER, PTR))
    i = rt.counted_loop(fn, b, count, "items")
    item = b.load(b.gep(items, [i]))
    slot = _array_item(b, obj, i)
    type_index = b.load(rt.field(b, item, OBJECT_TYPE_INDEX, I32))
    b.store(b.zext(type_index, I64), rt.field(b, slot, ANY_TYPE_INDEX, I64))
    b.store(item, rt.field(b, slot, ANY_VALUE, PTR))
    rt.next_iteration(b, "items")
    b.ret(obj)
