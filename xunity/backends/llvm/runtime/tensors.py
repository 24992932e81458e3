# pyright: reportArgumentType=false, reportAssignmentType=false
# pyright: reportAttributeAccessIssue=false
"""XUTensorCreate: the tensors packed functions return, as tvm-ffi objects.

    void* XUTensorCreate(int32_t ndim, const int64_t* shape, DLDataType dtype)

A `kTVMFFITensor` in one 64-byte aligned block: the object header, its
DLTensor, a DLPack `DLManagedTensorVersioned` over the same data, shape and
strides, then the data (TENSOR_* in xunity/ir/abi.py).  The embedded DLPack
tensor owns one reference once handed out, so Python gives it to numpy
(`np.from_dlpack`) without copying and the block goes when numpy is done.
"""

from __future__ import annotations

from llvmlite import ir

from xunity.backends.llvm.runtime.builder import (
    I32,
    I64,
    NULL,
    PTR,
    RuntimeBuilder,
    return_null,
)
from xunity.backends.llvm.runtime.objects import Deleters, new_object
from xunity.ir.abi import (
    DL_CPU,
    DLPACK_VERSION,
    DLTENSOR_BYTE_OFFSET,
    DLTENSOR_BYTES,
    DLTENSOR_DATA,
    DLTENSOR_DEVICE,
    DLTENSOR_DTYPE,
    DLTENSOR_NDIM,
    DLTENSOR_SHAPE,
    DLTENSOR_STRIDES,
    MANAGED_CONTEXT,
    MANAGED_DELETER,
    MANAGED_DLTENSOR,
    MANAGED_FLAGS,
    MANAGED_VERSION,
    MIN_ALIGN,
    OBJECT_PREFIX_BYTES,
    TENSOR_DLPACK,
    TENSOR_DLTENSOR,
    TENSOR_SHAPE,
    TVM_FFI_TENSOR,
)


def add_tensor_create(rt: RuntimeBuilder, deleters: Deleters) -> None:
    """A compact CPU tensor (one reference), its data uninitialised; NULL when
    out of memory or when the size is negative or overflows."""
    fn, b = rt.start("XUTensorCreate")
    ndim32, shape, dtype = fn.args
    ndim = b.sext(ndim32, I64)
    fail = return_null(fn)
    nbytes = _data_bytes(rt, fn, b, ndim, shape, dtype, fail)
    # The header, shape and strides, then the data on a 64-byte boundary.
    head = b.add(I64(OBJECT_PREFIX_BYTES + TENSOR_SHAPE), b.mul(ndim, I64(16)))
    head = b.and_(b.add(head, I64(MIN_ALIGN - 1)), I64(-MIN_ALIGN))
    size = b.sadd_with_overflow(head, nbytes)
    rt.check(fn, b, b.extract_value(size, 1), fail, "sized")
    total = b.extract_value(size, 0)
    block = new_object(rt, b, total, TVM_FFI_TENSOR, deleters.tensor)
    rt.check(fn, b, b.icmp_unsigned("==", block, NULL), fail, "allocated")
    obj, dims, strides = _fill_dltensor(rt, b, block, head, ndim32, ndim, dtype)
    _fill_shape(rt, fn, b, ndim, shape, dims, strides)
    _fill_managed(rt, b, obj, deleters.dlpack)
    b.ret(obj)


def _data_bytes(
    rt: RuntimeBuilder,
    fn: ir.Function,
    b: ir.IRBuilder,
    ndim: ir.Value,
    shape: ir.Value,
    dtype: ir.Value,
    fail: ir.Block,
) -> ir.Value:
    """The product of the dims and the element size; to `fail` on a negative
    rank or dim, or an overflow."""
    bits = b.zext(b.and_(b.lshr(dtype, I32(8)), I32(0xFF)), I64)
    lanes = b.zext(b.lshr(dtype, I32(16)), I64)
    element_bytes = b.udiv(b.add(b.mul(bits, lanes), I64(7)), I64(8))
    rt.check(fn, b, b.icmp_signed("<", ndim, I64(0)), fail, "checked")
    total = b.alloca(I64)
    b.store(element_bytes, total)
    i = rt.counted_loop(fn, b, ndim, "dims")
    dim = b.load(b.gep(shape, [i]))
    product = b.smul_with_overflow(b.load(total), dim)
    bad = b.or_(b.icmp_signed("<", dim, I64(0)), b.extract_value(product, 1))
    rt.check(fn, b, bad, fail, "dim_ok")
    b.store(b.extract_value(product, 0), total)
    rt.next_iteration(b, "dims")
    return b.load(total)


def _fill_dltensor(
    rt: RuntimeBuilder,
    b: ir.IRBuilder,
    block: ir.Value,
    head: ir.Value,
    ndim32: ir.Value,
    ndim: ir.Value,
    dtype: ir.Value,
) -> tuple[ir.Value, ir.Value, ir.Value]:
    """The tensor object in `block` and its DLTensor: (object, shape, strides)."""
    obj = b.gep(block, [I64(OBJECT_PREFIX_BYTES)])
    dims = rt.field(b, obj, TENSOR_SHAPE, I64)
    strides = b.gep(dims, [ndim])

    def member(offset: int, type: ir.Type) -> ir.Value:
        return rt.field(b, obj, TENSOR_DLTENSOR + offset, type)

    b.store(b.gep(block, [head]), member(DLTENSOR_DATA, PTR))
    b.store(I64(DL_CPU), member(DLTENSOR_DEVICE, I64))  # device id 0
    b.store(ndim32, member(DLTENSOR_NDIM, I32))
    b.store(dtype, member(DLTENSOR_DTYPE, I32))
    b.store(dims, member(DLTENSOR_SHAPE, I64.as_pointer()))
    b.store(strides, member(DLTENSOR_STRIDES, I64.as_pointer()))
    b.store(I64(0), member(DLTENSOR_BYTE_OFFSET, I64))
    return obj, dims, strides


def _fill_shape(
    rt: RuntimeBuilder,
    fn: ir.Function,
    b: ir.IRBuilder,
    ndim: ir.Value,
    shape: ir.Value,
    dims: ir.Value,
    strides: ir.Value,
) -> None:
    """Copy the shape; compact row-major strides, in elements."""
    stride = b.alloca(I64)
    b.store(I64(1), stride)
    i = rt.counted_loop(fn, b, ndim, "strides")
    axis = b.sub(b.sub(ndim, I64(1)), i)  # innermost first
    dim = b.load(b.gep(shape, [axis]))
    b.store(dim, b.gep(dims, [axis]))
    b.store(b.load(stride), b.gep(strides, [axis]))
    b.store(b.mul(b.load(stride), dim), stride)
    rt.next_iteration(b, "strides")


def _fill_managed(
    rt: RuntimeBuilder, b: ir.IRBuilder, obj: ir.Value, deleter: ir.Function
) -> None:
    """The DLManagedTensorVersioned: its context is the tensor, its DLTensor a
    copy of the tensor's, its deleter drops the reference numpy was given."""

    def member(offset: int, type: ir.Type) -> ir.Value:
        return rt.field(b, obj, TENSOR_DLPACK + offset, type)

    b.store(I64(DLPACK_VERSION), member(MANAGED_VERSION, I64))
    b.store(obj, member(MANAGED_CONTEXT, PTR))
    b.store(deleter, member(MANAGED_DELETER, deleter.type))
    b.store(I64(0), member(MANAGED_FLAGS, I64))  # writable
    b.call(
        rt.libc("memcpy"),
        [
            b.gep(obj, [I64(TENSOR_DLPACK + MANAGED_DLTENSOR)]),
            b.gep(obj, [I64(TENSOR_DLTENSOR)]),
            I64(DLTENSOR_BYTES),
        ],
    )
