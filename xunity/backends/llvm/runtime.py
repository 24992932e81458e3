# llvmlite's IR builder is untyped (its methods are made by decorators), so
# pyright infers None for every instruction it returns.
# pyright: reportArgumentType=false, reportAssignmentType=false
# pyright: reportReturnType=false, reportAttributeAccessIssue=false
"""The xunity runtime services as LLVM IR, so no C compiler is needed at run time.

    void*       XUAlloc(int64_t nbytes, int64_t align)   64-byte aligned at least
    void        XUFree(void* ptr)
    void        XUCopy(void* dst, const void* src, int64_t nbytes)
    void*       XUWorkspaceAlloc(int64_t nbytes, int64_t align)  per-thread arena, LIFO
    void        XUWorkspaceFree(void* ptr)
    void*       XUTensorCreate(int32_t ndim, const int64_t* shape, DLDataType dtype)
    void*       XUArrayCreate(int64_t size, void* const* items)  takes the items
    void        XUObjectIncRef(void* obj)                tvm-ffi reference counts
    void        XUObjectDecRef(void* obj)
    void        XUSetLastError(const char* message)      this thread's message
    const char* XUGetLastError(void)                     this thread's message
    char*       XUErrorBuffer(void)                      where packed functions format
    int32_t     XUParallelLaunch(int32_t (*fn)(int64_t begin, int64_t end,
                                               void* closure),
                                 void* closure, int64_t lb, int64_t ub,
                                 int64_t num_tasks)
    void        XUSetNumThreads(int32_t n)               n <= 0: back to the default
    int32_t     XUGetNumThreads(void)

Only libc is needed (memory, strings, pthreads, `syscall`), which both the JIT
(process symbols) and a linked shared library provide.  Linux only: idle
workers sleep on a futex.

Returned values are tvm-ffi objects built here, so that tvm-ffi takes them
for its own: `XUTensorCreate` makes a `kTVMFFITensor` (header, DLTensor,
shape and strides, data: one 64-byte aligned block, freed by the object's
deleter), `XUArrayCreate` a `kTVMFFIArray` of objects.  A tensor also embeds
a DLPack `DLManagedTensorVersioned` over its data, whose deleter drops one
reference: Python hands it to numpy (`np.from_dlpack`) without copying.  The
deleters are this module's internal functions, so in the JIT they belong to
the process runtime, which outlives every engine (and every returned array).

The workspace: `XUWorkspaceAlloc` bumps a per-thread arena (pthread key,
freed at thread exit), `XUWorkspaceFree` pops it (LIFO); requests that do
not fit fall back to `XUAlloc` (see `add_workspace`).

Error messages are per thread: a pthread key, created once (an atomic
flag), holds a lazily allocated 1024-byte buffer per thread that `free` releases
when the thread exits (`thread_local` cannot be used: it aborts JIT-compiled code).

The thread pool.  `XUParallelLaunch` splits [lb, ub) into `num_tasks`
contiguous chunks (<= 0: TASKS_PER_THREAD per thread; never more than
ub - lb), runs them
on `min(tasks, threads)` participants (the caller, participant 0, and
persistent workers 1..P-1, created on first need, detached, with every signal
blocked), each claiming the next unclaimed chunk until none is left; the
launcher waits until every chunk has finished and returns the first
non-zero `fn` result.  Claiming rather than a fixed share per participant,
and waiting for chunks rather than for participants, keeps a late worker
(still waking up, or descheduled on a busy machine) from stalling a launch:
the others run its chunks and the launch returns without it.  A chunk is
claimed by a compare-and-swap on one word holding (launch epoch, next
chunk): a late worker that read an older launch's job fails its swap, since
a new launch publishes its job only after every chunk of the previous one
was claimed and finished, and then bumps the epoch.  Each worker has a mailbox (a
generation counter on its own cache line): the launcher publishes the job,
bumps the mailboxes of the participants, and only wakes those that sleep.
A worker spins on its mailbox for a while after each job (a bounded loop with
`pause`), then sleeps on a futex.  A futex rather than a condition variable:
the kernel compares the counter with the value the worker last saw before it
sleeps, so a wake-up can never be lost, the launcher takes no lock, and no
libc struct layout (`pthread_cond_t`) has to be spelled in IR.  The launcher
waits for the workers' countdown with `pause`, then `sched_yield`.

One launch at a time owns the pool (an atomic flag).  A launch that finds it
busy — a parallel region nested in a chunk (on a worker or on the caller), or
a second thread launching concurrently — runs `fn(lb, ub, closure)` serially
on its own thread: always correct, never a deadlock.  A process forked after
the pool started has no workers and must not launch.

In the JIT every engine gets `runtime_ir`: forwarders to one process-wide
runtime that this module compiles once and never frees, because its detached
workers run its code for as long as the process lives (an engine freed under
a spinning worker would crash it) and all engines must share one pool, one
pthread key and one thread count.  A shared library embeds
`standalone_runtime_ir` instead.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable

import llvmlite.binding as llvm
from llvmlite import ir

ERROR_BUFFER_SIZE = 1024
MIN_ALIGN = 64
WORKSPACE_BYTES = 1 << 20
"""Smallest per-thread workspace arena (it grows when empty and too small)."""

# DLPack's DLTensor, tvm-ffi's TVMFFIAny, and the objects the runtime makes
# (byte offsets; tvm-ffi's c_api.h and object.h define the layouts).
DL_CPU = 1
DLTENSOR_DATA, DLTENSOR_DEVICE, DLTENSOR_NDIM, DLTENSOR_DTYPE = 0, 8, 16, 20
DLTENSOR_SHAPE, DLTENSOR_STRIDES, DLTENSOR_BYTE_OFFSET = 24, 32, 40
DLPACK_VERSION = 1
"""DLManagedTensorVersioned.version as one little-endian i64: major 1, minor 0."""
ANY_BYTES = 16
TYPE_OBJECT_BEGIN = 64
TYPE_TENSOR = 70
TYPE_ARRAY = 71
OBJECT_PREFIX_BYTES = 16
"""Zeros in front of every object: where tvm-ffi allocators keep their header."""
OBJECT_DELETER = 16
"""TVMFFIObject: u64 combined_ref_count, i32 type_index, u32 pad, deleter."""
COMBINED_REF_ONE = (1 << 32) | 1
"""A new object: one strong and one weak reference (tvm-ffi's convention)."""
DELETER_STRONG, DELETER_WEAK = 1, 2
TENSOR_DLTENSOR = 24
"""A tensor object: header, DLTensor, ..."""
TENSOR_DLPACK = 72
"""... a DLManagedTensorVersioned (80 bytes) owning one reference once handed out ..."""
TENSOR_SHAPE = 152
"""... then shape[ndim] and strides[ndim]; the data starts at the next 64-byte
boundary of the block."""
ARRAY_DATA, ARRAY_SIZE, ARRAY_ITEMS = 24, 32, 56
"""An array object: header, TVMFFISeqCell {data, size, capacity, data_deleter},
then the TVMFFIAny items (data points at them)."""
MAX_THREADS = 64
"""Upper bound of XUSetNumThreads / XUNITY_NUM_THREADS (one mailbox each)."""
NUM_THREADS_ENV = "XUNITY_NUM_THREADS"
TASKS_PER_THREAD = 4
"""Chunks per thread when a launch does not say (num_tasks <= 0): enough that
the others can take over from a late participant, few enough that each
chunk stays a long contiguous run."""
MAX_TASKS = 1 << 30
"""Chunks per launch at most: the chunk counter is the low half of the claim word."""
SPIN_ITERATIONS = 4096
"""`pause` iterations a worker spins after a job before it sleeps (~0.1 ms)."""

_I1 = ir.IntType(1)
_I8 = ir.IntType(8)
_I32 = ir.IntType(32)
_I64 = ir.IntType(64)
_PTR = _I8.as_pointer()
_VOID = ir.VoidType()
_TASK_FN = ir.FunctionType(_I32, [_I64, _I64, _PTR])
"""int32_t (*fn)(int64_t begin, int64_t end, void* closure)"""

# Linux ABI constants.
_SYS_FUTEX = {"x86_64": 202, "aarch64": 98}
_FUTEX_WAIT_PRIVATE = 128
_FUTEX_WAKE_PRIVATE = 129
_SC_NPROCESSORS_ONLN = 84
_SIG_SETMASK = 2
_SIGSET_BYTES = 128

_FORWARD_PREFIX = "__xunity_process_"
"""Process-runtime symbols the per-engine forwarders call (llvm.add_symbol)."""


def _function(
    module: ir.Module, name: str, ret: ir.Type, args: list[ir.Type]
) -> ir.Function:
    existing = module.globals.get(name)
    if isinstance(existing, ir.Function):
        return existing
    return ir.Function(module, ir.FunctionType(ret, args), name=name)


_LIBC: dict[str, tuple[ir.Type, list[ir.Type], bool]] = {
    "posix_memalign": (_I32, [_PTR.as_pointer(), _I64, _I64], False),
    "free": (_VOID, [_PTR], False),
    "calloc": (_PTR, [_I64, _I64], False),
    "memcpy": (_PTR, [_PTR, _PTR, _I64], False),
    "strncpy": (_PTR, [_PTR, _PTR, _I64], False),
    "snprintf": (_I32, [_PTR, _I64, _PTR], True),
    "getenv": (_PTR, [_PTR], False),
    "strtol": (_I64, [_PTR, _PTR.as_pointer(), _I32], False),
    "sysconf": (_I64, [_I32], False),
    "syscall": (_I64, [_I64], True),
    "sched_yield": (_I32, [], False),
    "sigfillset": (_I32, [_PTR], False),
    "pthread_sigmask": (_I32, [_I32, _PTR, _PTR], False),
    "pthread_create": (_I32, [_I64.as_pointer(), _PTR, _PTR, _PTR], False),
    "pthread_detach": (_I32, [_I64], False),
    "pthread_key_create": (_I32, [_I32.as_pointer(), _PTR], False),
    "pthread_getspecific": (_PTR, [_I32], False),
    "pthread_setspecific": (_I32, [_I32, _PTR], False),
}


def libc(module: ir.Module, name: str) -> ir.Function:
    """A libc declaration (idempotent)."""
    ret, args, variadic = _LIBC[name]
    existing = module.globals.get(name)
    if isinstance(existing, ir.Function):
        return existing
    return ir.Function(module, ir.FunctionType(ret, args, var_arg=variadic), name=name)


RUNTIME_SIGNATURES: dict[str, tuple[ir.Type, list[ir.Type]]] = {
    "XUAlloc": (_PTR, [_I64, _I64]),
    "XUFree": (_VOID, [_PTR]),
    "XUCopy": (_VOID, [_PTR, _PTR, _I64]),
    "XUWorkspaceAlloc": (_PTR, [_I64, _I64]),
    "XUWorkspaceFree": (_VOID, [_PTR]),
    "XUTensorCreate": (_PTR, [_I32, _I64.as_pointer(), _I32]),
    "XUArrayCreate": (_PTR, [_I64, _PTR.as_pointer()]),
    "XUObjectIncRef": (_VOID, [_PTR]),
    "XUObjectDecRef": (_VOID, [_PTR]),
    "XUSetLastError": (_VOID, [_PTR]),
    "XUGetLastError": (_PTR, []),
    "XUErrorBuffer": (_PTR, []),
    "XUParallelLaunch": (_I32, [_PTR, _PTR, _I64, _I64, _I64]),
    "XUSetNumThreads": (_VOID, [_I32]),
    "XUGetNumThreads": (_I32, []),
}
"""Every exported runtime function, in LLVM IR types."""


def declare_runtime(module: ir.Module, name: str) -> ir.Function:
    """Declare one runtime function in a module that calls it."""
    ret, args = RUNTIME_SIGNATURES[name]
    return _function(module, name, ret, args)


def _arch(triple: str) -> str:
    arch = triple.split("-")[0]
    if arch not in _SYS_FUTEX or "linux" not in triple:
        raise ValueError(
            f"xunity runtime: the thread pool needs Linux on x86_64 or aarch64, "
            f"not {triple}"
        )
    return arch


class _RuntimeModule:
    """Builds the runtime's functions into one module."""

    def __init__(self, triple: str, data_layout: str):
        self.arch = _arch(triple)
        self.module = ir.Module(name="xunity_runtime")
        self.module.triple = triple
        self.module.data_layout = data_layout
        self._loops: dict[str, tuple[ir.Value, ir.Block, ir.Block]] = {}

    # ---------------------------------------------------------------- helpers
    def global_var(self, name: str, type: ir.Type, align: int = 0) -> ir.GlobalVariable:
        variable = ir.GlobalVariable(self.module, type, name=name)
        variable.linkage = "internal"
        variable.initializer = ir.Constant(type, None)
        if align:
            variable.align = align
        return variable

    def start(self, name: str) -> tuple[ir.Function, ir.IRBuilder]:
        """An exported runtime function and a builder at its entry."""
        fn = declare_runtime(self.module, name)
        return fn, ir.IRBuilder(fn.append_basic_block("entry"))

    def internal(
        self, name: str, ret: ir.Type, args: list[ir.Type]
    ) -> tuple[ir.Function, ir.IRBuilder]:
        fn = _function(self.module, name, ret, args)
        fn.linkage = "internal"
        return fn, ir.IRBuilder(fn.append_basic_block("entry"))

    def libc(self, name: str) -> ir.Function:
        return libc(self.module, name)

    def pause(self, b: ir.IRBuilder) -> None:
        """The CPU's spin-wait hint."""
        if self.arch == "x86_64":
            fn = _function(self.module, "llvm.x86.sse2.pause", _VOID, [])
            b.call(fn, [])
        else:
            fn = _function(self.module, "llvm.aarch64.hint", _VOID, [_I32])
            b.call(fn, [_I32(1)])  # yield

    def futex(self, b: ir.IRBuilder, word: ir.Value, op: int, value: ir.Value) -> None:
        null = ir.Constant(_PTR, None)
        number = _I64(_SYS_FUTEX[self.arch])
        b.call(
            self.libc("syscall"),
            [number, b.bitcast(word, _PTR), _I64(op), value, null, null, _I64(0)],
        )

    @staticmethod
    def smin(b: ir.IRBuilder, x: ir.Value, y: ir.Value) -> ir.Value:
        return b.select(b.icmp_signed("<", x, y), x, y)

    # ---------------------------------------------------------------- memory
    def add_memory(self) -> None:
        fn, b = self.start("XUAlloc")
        nbytes, align = fn.args
        slot = b.alloca(_PTR)
        b.store(ir.Constant(_PTR, None), slot)
        align = b.select(
            b.icmp_signed("<", align, _I64(MIN_ALIGN)), _I64(MIN_ALIGN), align
        )
        size = b.select(b.icmp_signed("<", nbytes, _I64(1)), _I64(1), nbytes)
        status = b.call(self.libc("posix_memalign"), [slot, align, size])
        failed = b.icmp_signed("!=", status, _I32(0))
        b.ret(b.select(failed, ir.Constant(_PTR, None), b.load(slot)))

        fn, b = self.start("XUFree")
        b.call(self.libc("free"), [fn.args[0]])
        b.ret_void()

        fn, b = self.start("XUCopy")
        b.call(self.libc("memcpy"), list(fn.args))
        b.ret_void()

    def field(
        self, b: ir.IRBuilder, base: ir.Value, offset: int | ir.Value, type: ir.Type
    ) -> ir.Value:
        """A typed pointer to `base + offset` bytes."""
        offset_value = _I64(offset) if isinstance(offset, int) else offset
        return b.bitcast(b.gep(base, [offset_value]), type.as_pointer())

    def counted_loop(
        self, fn: ir.Function, b: ir.IRBuilder, count: ir.Value, name: str
    ) -> tuple[ir.Value, ir.Block]:
        """Positions `b` in the body of `for i in [0, count)`; returns i and the exit.

        The caller emits the body, then `self.next_iteration(b, name)`.
        """
        index = b.alloca(_I64, name=f"{name}_i")
        b.store(_I64(0), index)
        head = fn.append_basic_block(f"{name}_head")
        body = fn.append_basic_block(f"{name}_body")
        done = fn.append_basic_block(f"{name}_done")
        b.branch(head)
        b.position_at_end(head)
        i = b.load(index)
        b.cbranch(b.icmp_signed("<", i, count), body, done)
        b.position_at_end(body)
        self._loops[name] = (index, head, done)
        return i, done

    def next_iteration(self, b: ir.IRBuilder, name: str) -> None:
        """Close the loop opened by `counted_loop`; `b` continues after it."""
        index, head, done = self._loops.pop(name)
        b.store(b.add(b.load(index), _I64(1)), index)
        b.branch(head)
        b.position_at_end(done)

    # ---------------------------------------------------------------- objects
    def add_objects(self) -> None:
        """tvm-ffi objects: returned tensors and arrays, and their reference counts.

        Every object is one XUAlloc block: OBJECT_PREFIX_BYTES of zeros (the
        allocation header tvm-ffi and its Python binding may keep in front of
        an object), then the object.  See TENSOR_* and ARRAY_* for the layouts.
        """
        null = ir.Constant(_PTR, None)
        deleter_type = ir.FunctionType(_VOID, [_PTR, _I32])
        alloc = declare_runtime(self.module, "XUAlloc")
        free = declare_runtime(self.module, "XUFree")

        fn, b = self.start("XUObjectIncRef")
        with b.if_then(b.icmp_unsigned("!=", fn.args[0], null)):
            count = b.bitcast(fn.args[0], _I64.as_pointer())
            b.atomic_rmw("add", count, _I64(1), "monotonic")
        b.ret_void()

        # tvm-ffi's Object::DecRef: the strong count is the low half, the weak
        # count the high half; the deleter is told which of them reached 0.
        decref, b = self.start("XUObjectDecRef")
        obj = decref.args[0]
        names = ("live", "both", "strong", "weak", "done")
        blocks = {n: decref.append_basic_block(n) for n in names}
        b.cbranch(b.icmp_unsigned("==", obj, null), blocks["done"], blocks["live"])
        b.position_at_end(blocks["live"])
        count = b.bitcast(obj, _I64.as_pointer())
        before = b.atomic_rmw("sub", count, _I64(1), "release")
        deleter = b.load(self.field(b, obj, OBJECT_DELETER, deleter_type.as_pointer()))
        last_strong = b.icmp_unsigned("==", b.and_(before, _I64(0xFFFFFFFF)), _I64(1))
        both = b.icmp_unsigned("==", before, _I64(COMBINED_REF_ONE))
        b.cbranch(both, blocks["both"], blocks["strong"])
        b.position_at_end(blocks["both"])
        b.fence("acquire")
        b.call(deleter, [obj, _I32(DELETER_STRONG | DELETER_WEAK)])
        b.ret_void()
        b.position_at_end(blocks["strong"])
        with b.if_then(last_strong):
            b.fence("acquire")
            b.call(deleter, [obj, _I32(DELETER_STRONG)])
            weak_before = b.atomic_rmw("sub", count, _I64(1 << 32), "release")
            b.cbranch(
                b.icmp_unsigned("==", weak_before, _I64(1 << 32)),
                blocks["weak"],
                blocks["done"],
            )
            b.position_at_end(blocks["weak"])
            b.fence("acquire")
            b.call(deleter, [obj, _I32(DELETER_WEAK)])
        b.branch(blocks["done"])
        b.position_at_end(blocks["done"])
        b.ret_void()

        # Tensor and array storage is freed with the block, when no weak
        # reference is left; an array's strong end releases its items.
        tensor_deleter, b = self.internal("xu_tensor_deleter", _VOID, [_PTR, _I32])
        obj, flags = tensor_deleter.args
        with b.if_then(
            b.icmp_unsigned("!=", b.and_(flags, _I32(DELETER_WEAK)), _I32(0))
        ):
            b.call(free, [b.gep(obj, [_I64(-OBJECT_PREFIX_BYTES)])])
        b.ret_void()

        array_deleter, b = self.internal("xu_array_deleter", _VOID, [_PTR, _I32])
        obj, flags = array_deleter.args
        strong = b.icmp_unsigned("!=", b.and_(flags, _I32(DELETER_STRONG)), _I32(0))
        release = array_deleter.append_basic_block("release")
        after = array_deleter.append_basic_block("after")
        b.cbranch(strong, release, after)
        b.position_at_end(release)
        size = b.load(self.field(b, obj, ARRAY_SIZE, _I64))
        i, _ = self.counted_loop(array_deleter, b, size, "items")
        item = b.gep(obj, [b.add(_I64(ARRAY_ITEMS), b.mul(i, _I64(ANY_BYTES)))])
        type_index = b.load(b.bitcast(item, _I32.as_pointer()))
        with b.if_then(b.icmp_signed(">=", type_index, _I32(TYPE_OBJECT_BEGIN))):
            b.call(decref, [b.load(self.field(b, item, 8, _PTR))])
        self.next_iteration(b, "items")
        b.branch(after)
        b.position_at_end(after)
        with b.if_then(
            b.icmp_unsigned("!=", b.and_(flags, _I32(DELETER_WEAK)), _I32(0))
        ):
            b.call(free, [b.gep(obj, [_I64(-OBJECT_PREFIX_BYTES)])])
        b.ret_void()

        # DLManagedTensorVersioned.deleter: the reference it owned goes.
        dlpack_deleter, b = self.internal("xu_dlpack_deleter", _VOID, [_PTR])
        manager = b.load(self.field(b, dlpack_deleter.args[0], 8, _PTR))
        b.call(decref, [manager])
        b.ret_void()

        def new_object(
            b: ir.IRBuilder, nbytes: ir.Value, type_index: int, deleter: ir.Function
        ) -> ir.Value:
            """An object header in a fresh block (the caller checks for NULL)."""
            block = b.call(alloc, [nbytes, _I64(MIN_ALIGN)])
            with b.if_then(b.icmp_unsigned("!=", block, null)):
                b.store(_I64(0), self.field(b, block, 0, _I64))
                b.store(_I64(0), self.field(b, block, 8, _I64))
                obj = b.gep(block, [_I64(OBJECT_PREFIX_BYTES)])
                b.store(_I64(COMBINED_REF_ONE), self.field(b, obj, 0, _I64))
                b.store(_I64(type_index), self.field(b, obj, 8, _I64))  # + padding
                target = self.field(b, obj, OBJECT_DELETER, deleter_type.as_pointer())
                b.store(deleter, target)
            return block

        # void* XUTensorCreate(int32_t ndim, const int64_t* shape, DLDataType dtype)
        fn, b = self.start("XUTensorCreate")
        ndim32, shape, dtype = fn.args
        ndim = b.sext(ndim32, _I64)
        fail = _return_null(fn)
        bits = b.zext(b.and_(b.lshr(dtype, _I32(8)), _I32(0xFF)), _I64)
        lanes = b.zext(b.lshr(dtype, _I32(16)), _I64)
        element_bytes = b.udiv(b.add(b.mul(bits, lanes), _I64(7)), _I64(8))
        checked = fn.append_basic_block("checked")
        b.cbranch(b.icmp_signed("<", ndim, _I64(0)), fail, checked)
        b.position_at_end(checked)
        total = b.alloca(_I64)
        b.store(element_bytes, total)
        i, _ = self.counted_loop(fn, b, ndim, "dims")
        dim = b.load(b.gep(shape, [i]))
        product = b.smul_with_overflow(b.load(total), dim)
        bad = b.or_(b.icmp_signed("<", dim, _I64(0)), b.extract_value(product, 1))
        good = fn.append_basic_block("dim_ok")
        b.cbranch(bad, fail, good)
        b.position_at_end(good)
        b.store(b.extract_value(product, 0), total)
        self.next_iteration(b, "dims")
        nbytes = b.load(total)
        # The header, shape and strides, then the data on a 64-byte boundary.
        head = b.add(_I64(OBJECT_PREFIX_BYTES + TENSOR_SHAPE), b.mul(ndim, _I64(16)))
        head = b.and_(b.add(head, _I64(MIN_ALIGN - 1)), _I64(-MIN_ALIGN))
        size = b.sadd_with_overflow(head, nbytes)
        sized = fn.append_basic_block("sized")
        b.cbranch(b.extract_value(size, 1), fail, sized)
        b.position_at_end(sized)
        block = new_object(b, b.extract_value(size, 0), TYPE_TENSOR, tensor_deleter)
        allocated = fn.append_basic_block("allocated")
        b.cbranch(b.icmp_unsigned("==", block, null), fail, allocated)
        b.position_at_end(allocated)
        obj = b.gep(block, [_I64(OBJECT_PREFIX_BYTES)])
        dims = self.field(b, obj, TENSOR_SHAPE, _I64)
        strides = b.gep(dims, [ndim])
        dl = TENSOR_DLTENSOR
        b.store(b.gep(block, [head]), self.field(b, obj, dl + DLTENSOR_DATA, _PTR))
        b.store(_I64(DL_CPU), self.field(b, obj, dl + DLTENSOR_DEVICE, _I64))
        b.store(ndim32, self.field(b, obj, dl + DLTENSOR_NDIM, _I32))
        b.store(dtype, self.field(b, obj, dl + DLTENSOR_DTYPE, _I32))
        b.store(dims, self.field(b, obj, dl + DLTENSOR_SHAPE, _I64.as_pointer()))
        b.store(strides, self.field(b, obj, dl + DLTENSOR_STRIDES, _I64.as_pointer()))
        b.store(_I64(0), self.field(b, obj, dl + DLTENSOR_BYTE_OFFSET, _I64))
        stride = b.alloca(_I64)
        b.store(_I64(1), stride)
        i, _ = self.counted_loop(fn, b, ndim, "strides")
        axis = b.sub(b.sub(ndim, _I64(1)), i)  # innermost first
        dim = b.load(b.gep(shape, [axis]))
        b.store(dim, b.gep(dims, [axis]))
        b.store(b.load(stride), b.gep(strides, [axis]))
        b.store(b.mul(b.load(stride), dim), stride)
        self.next_iteration(b, "strides")
        managed = TENSOR_DLPACK
        b.store(_I64(DLPACK_VERSION), self.field(b, obj, managed, _I64))
        b.store(obj, self.field(b, obj, managed + 8, _PTR))
        b.store(dlpack_deleter, self.field(b, obj, managed + 16, dlpack_deleter.type))
        b.store(_I64(0), self.field(b, obj, managed + 24, _I64))  # flags: writable
        b.call(
            self.libc("memcpy"),
            [b.gep(obj, [_I64(managed + 32)]), b.gep(obj, [_I64(dl)]), _I64(48)],
        )
        b.ret(obj)

        # void* XUArrayCreate(int64_t size, void* const* items): takes the items.
        fn, b = self.start("XUArrayCreate")
        count, items = fn.args
        fail = _return_null(fn)
        checked = fn.append_basic_block("checked")
        b.cbranch(b.icmp_signed("<", count, _I64(0)), fail, checked)
        b.position_at_end(checked)
        nbytes = b.add(
            _I64(OBJECT_PREFIX_BYTES + ARRAY_ITEMS), b.mul(count, _I64(ANY_BYTES))
        )
        block = new_object(b, nbytes, TYPE_ARRAY, array_deleter)
        allocated = fn.append_basic_block("allocated")
        b.cbranch(b.icmp_unsigned("==", block, null), fail, allocated)
        b.position_at_end(allocated)
        obj = b.gep(block, [_I64(OBJECT_PREFIX_BYTES)])
        b.store(b.gep(obj, [_I64(ARRAY_ITEMS)]), self.field(b, obj, ARRAY_DATA, _PTR))
        b.store(count, self.field(b, obj, ARRAY_SIZE, _I64))
        b.store(count, self.field(b, obj, ARRAY_SIZE + 8, _I64))  # capacity
        b.store(null, self.field(b, obj, ARRAY_SIZE + 16, _PTR))  # data_deleter
        i, _ = self.counted_loop(fn, b, count, "items")
        item = b.load(b.gep(items, [i]))
        slot = b.gep(obj, [b.add(_I64(ARRAY_ITEMS), b.mul(i, _I64(ANY_BYTES)))])
        type_index = b.load(self.field(b, item, 8, _I32))
        b.store(b.zext(type_index, _I64), self.field(b, slot, 0, _I64))  # + padding
        b.store(item, self.field(b, slot, 8, _PTR))
        self.next_iteration(b, "items")
        b.ret(obj)

    # ---------------------------------------------------------------- workspace
    def add_workspace(self) -> None:
        """XUWorkspaceAlloc / XUWorkspaceFree: a per-thread bump arena.

        Each thread's state {base, capacity, top} hangs off a pthread key
        whose destructor frees it at thread exit.  An allocation takes
        [align(top), +nbytes) when it fits; when the arena is empty and too
        small it is replaced by one of max(2 * capacity, nbytes,
        WORKSPACE_BYTES) bytes; otherwise (or without memory for the state)
        the block comes from XUAlloc.  Frees are LIFO: freeing an arena block
        sets top back to its start; other pointers go to XUFree.
        """
        null = ir.Constant(_PTR, None)
        alloc = declare_runtime(self.module, "XUAlloc")
        free = declare_runtime(self.module, "XUFree")

        release, b = self.internal("xu_workspace_release", _VOID, [_PTR])
        b.call(free, [b.load(self.field(b, release.args[0], 0, _PTR))])
        b.call(self.libc("free"), [release.args[0]])
        b.ret_void()
        ready, key = self.once_key("xu_workspace_key", release.bitcast(_PTR))

        # ptr xu_workspace_state(i1 create): this thread's state, or NULL.
        state_fn, b = self.internal("xu_workspace_state", _PTR, [_I1])
        names = ("lookup", "found", "allocate", "keep", "none")
        blocks = {n: state_fn.append_basic_block(n) for n in names}
        b.cbranch(b.call(ready, []), blocks["lookup"], blocks["none"])
        b.position_at_end(blocks["lookup"])
        thread_key = b.load(key)
        existing = b.call(self.libc("pthread_getspecific"), [thread_key])
        missing = b.icmp_unsigned("==", existing, null)
        b.cbranch(
            b.and_(missing, state_fn.args[0]), blocks["allocate"], blocks["found"]
        )
        b.position_at_end(blocks["found"])
        b.ret(existing)
        b.position_at_end(blocks["allocate"])
        fresh = b.call(self.libc("calloc"), [_I64(1), _I64(24)])
        b.cbranch(b.icmp_unsigned("==", fresh, null), blocks["none"], blocks["keep"])
        b.position_at_end(blocks["keep"])
        b.call(self.libc("pthread_setspecific"), [thread_key, fresh])
        b.ret(fresh)
        b.position_at_end(blocks["none"])
        b.ret(null)

        fn, b = self.start("XUWorkspaceAlloc")
        nbytes, align = fn.args
        names = ("state", "grow", "regrow", "place", "fits", "fallback")
        blocks = {n: fn.append_basic_block(n) for n in names}
        align = b.select(
            b.icmp_signed("<", align, _I64(MIN_ALIGN)), _I64(MIN_ALIGN), align
        )
        size = b.select(b.icmp_signed("<", nbytes, _I64(1)), _I64(1), nbytes)
        state = b.call(state_fn, [_I1(1)])
        b.cbranch(
            b.icmp_unsigned("==", state, null), blocks["fallback"], blocks["state"]
        )
        b.position_at_end(blocks["state"])
        base_slot = self.field(b, state, 0, _PTR)
        capacity_slot = self.field(b, state, 8, _I64)
        top_slot = self.field(b, state, 16, _I64)
        # Only an empty arena may be replaced: nothing points into it.
        too_small = b.icmp_signed(">", b.add(size, align), b.load(capacity_slot))
        empty = b.icmp_signed("==", b.load(top_slot), _I64(0))
        b.cbranch(b.and_(too_small, empty), blocks["grow"], blocks["place"])
        b.position_at_end(blocks["grow"])
        doubled = b.mul(b.load(capacity_slot), _I64(2))
        b.call(free, [b.load(base_slot)])
        b.store(null, base_slot)
        b.store(_I64(0), capacity_slot)
        wanted = b.add(size, align)
        wanted = b.select(b.icmp_signed("<", wanted, doubled), doubled, wanted)
        floor = _I64(WORKSPACE_BYTES)
        wanted = b.select(b.icmp_signed("<", wanted, floor), floor, wanted)
        b.branch(blocks["regrow"])
        b.position_at_end(blocks["regrow"])
        fresh = b.call(alloc, [wanted, _I64(MIN_ALIGN)])
        with b.if_then(b.icmp_unsigned("!=", fresh, null)):
            b.store(fresh, base_slot)
            b.store(wanted, capacity_slot)
        b.branch(blocks["place"])
        b.position_at_end(blocks["place"])
        base = b.load(base_slot)
        start = b.ptrtoint(b.gep(base, [b.load(top_slot)]), _I64)
        aligned = b.and_(b.add(start, b.sub(align, _I64(1))), b.neg(align))
        offset = b.sub(aligned, b.ptrtoint(base, _I64))
        end = b.add(offset, size)
        fits = b.and_(
            b.icmp_unsigned("!=", base, null),
            b.icmp_signed("<=", end, b.load(capacity_slot)),
        )
        b.cbranch(fits, blocks["fits"], blocks["fallback"])
        b.position_at_end(blocks["fits"])
        b.store(end, top_slot)
        b.ret(b.gep(base, [offset]))
        b.position_at_end(blocks["fallback"])
        b.ret(b.call(alloc, [nbytes, align]))

        fn, b = self.start("XUWorkspaceFree")
        pointer = fn.args[0]
        names = ("state", "arena", "heap")
        blocks = {n: fn.append_basic_block(n) for n in names}
        state = b.call(state_fn, [_I1(0)])
        b.cbranch(b.icmp_unsigned("==", state, null), blocks["heap"], blocks["state"])
        b.position_at_end(blocks["state"])
        base = b.load(self.field(b, state, 0, _PTR))
        capacity = b.load(self.field(b, state, 8, _I64))
        offset = b.sub(b.ptrtoint(pointer, _I64), b.ptrtoint(base, _I64))
        inside = b.and_(
            b.icmp_unsigned("!=", base, null),
            b.and_(
                b.icmp_signed(">=", offset, _I64(0)),
                b.icmp_signed("<", offset, capacity),
            ),
        )
        b.cbranch(inside, blocks["arena"], blocks["heap"])
        b.position_at_end(blocks["arena"])
        b.store(offset, self.field(b, state, 16, _I64))
        b.ret_void()
        b.position_at_end(blocks["heap"])
        b.call(free, [pointer])
        b.ret_void()

    # ---------------------------------------------------------------- errors
    def once_key(
        self, name: str, destructor: ir.Value
    ) -> tuple[ir.Function, ir.GlobalVariable]:
        """A pthread key created on first use: `i1 <name>_ready()` and the key.

        An atomic state word (0 new, 1 busy, 2 ok, 3 failed) lets exactly one
        thread create the key; the others wait for it.
        """
        state = self.global_var(f"{name}_state", _I32)
        key = self.global_var(name, _I32)
        ready, b = self.internal(f"{name}_ready", _I1, [])
        blocks = {
            n: ready.append_basic_block(n) for n in ("claim", "create", "wait", "done")
        }
        current = b.load_atomic(state, "acquire", 4)
        b.cbranch(
            b.icmp_signed("==", current, _I32(2)), blocks["done"], blocks["claim"]
        )
        b.position_at_end(blocks["claim"])
        claimed = b.extract_value(
            b.cmpxchg(state, _I32(0), _I32(1), "acquire", "acquire"), 1
        )
        b.cbranch(claimed, blocks["create"], blocks["wait"])
        b.position_at_end(blocks["create"])
        status = b.call(self.libc("pthread_key_create"), [key, destructor])
        ok = b.icmp_signed("==", status, _I32(0))
        b.store_atomic(b.select(ok, _I32(2), _I32(3)), state, "release", 4)
        b.branch(blocks["done"])
        b.position_at_end(blocks["wait"])  # another thread is creating the key
        self.pause(b)
        busy = b.icmp_signed("==", b.load_atomic(state, "acquire", 4), _I32(1))
        b.cbranch(busy, blocks["wait"], blocks["done"])
        b.position_at_end(blocks["done"])
        b.ret(b.icmp_signed("==", b.load_atomic(state, "acquire", 4), _I32(2)))
        return ready, key

    def add_errors(self) -> None:
        """Per-thread error buffers behind a pthread key created exactly once."""
        buffer_type = ir.ArrayType(_I8, ERROR_BUFFER_SIZE)
        fallback = self.global_var("xu_error_fallback", buffer_type)
        ready, key = self.once_key("xu_error_key", self.libc("free").bitcast(_PTR))

        fn, b = self.start("XUErrorBuffer")
        names = ("lookup", "found", "allocate", "keep", "fallback")
        blocks = {n: fn.append_basic_block(n) for n in names}
        b.cbranch(b.call(ready, []), blocks["lookup"], blocks["fallback"])
        b.position_at_end(blocks["lookup"])
        thread_key = b.load(key)
        existing = b.call(self.libc("pthread_getspecific"), [thread_key])
        missing = b.icmp_unsigned("==", existing, ir.Constant(_PTR, None))
        b.cbranch(missing, blocks["allocate"], blocks["found"])
        b.position_at_end(blocks["found"])
        b.ret(existing)
        b.position_at_end(blocks["allocate"])
        fresh = b.call(self.libc("calloc"), [_I64(1), _I64(ERROR_BUFFER_SIZE)])
        failed = b.icmp_unsigned("==", fresh, ir.Constant(_PTR, None))
        b.cbranch(failed, blocks["fallback"], blocks["keep"])
        b.position_at_end(blocks["keep"])
        b.call(self.libc("pthread_setspecific"), [thread_key, fresh])
        b.ret(fresh)
        b.position_at_end(blocks["fallback"])  # no key or no memory: one shared buffer
        b.ret(b.bitcast(fallback, _PTR))
        error_buffer = fn

        fn, b = self.start("XUGetLastError")
        b.ret(b.call(error_buffer, []))

        fn, b = self.start("XUSetLastError")
        base = b.call(error_buffer, [])
        b.call(self.libc("strncpy"), [base, fn.args[0], _I64(ERROR_BUFFER_SIZE - 1)])
        b.store(_I8(0), b.gep(base, [_I64(ERROR_BUFFER_SIZE - 1)]))
        b.ret_void()

    # ---------------------------------------------------------------- thread count
    def add_thread_count(self) -> ir.Function:
        """XUSetNumThreads / XUGetNumThreads; 0 in the global means "not chosen yet"."""
        count = self.global_var("xu_num_threads", _I32)

        # i32 xu_default_threads(): XUNITY_NUM_THREADS if a positive number,
        # else the online CPUs; clamped to [1, MAX_THREADS].
        default, b = self.internal("xu_default_threads", _I32, [])
        name = self.string("xu_env_name", NUM_THREADS_ENV)
        value = b.call(self.libc("getenv"), [name])
        has_env = b.icmp_unsigned("!=", value, ir.Constant(_PTR, None))
        parsed = b.alloca(_I64)
        b.store(_I64(0), parsed)
        with b.if_then(has_env):
            null = ir.Constant(_PTR.as_pointer(), None)
            b.store(b.call(self.libc("strtol"), [value, null, _I32(10)]), parsed)
        from_env = b.load(parsed)
        cpus = b.call(self.libc("sysconf"), [_I32(_SC_NPROCESSORS_ONLN)])
        chosen = b.select(b.icmp_signed(">", from_env, _I64(0)), from_env, cpus)
        chosen = b.select(b.icmp_signed("<", chosen, _I64(1)), _I64(1), chosen)
        chosen = self.smin(b, chosen, _I64(MAX_THREADS))
        b.ret(b.trunc(chosen, _I32))

        fn, b = self.start("XUGetNumThreads")
        chosen_block = fn.append_basic_block("chosen")
        choose_block = fn.append_basic_block("choose")
        current = b.load_atomic(count, "monotonic", 4)
        b.cbranch(b.icmp_signed(">", current, _I32(0)), chosen_block, choose_block)
        b.position_at_end(chosen_block)
        b.ret(current)
        b.position_at_end(choose_block)
        proposal = b.call(default, [])
        # A concurrent XUSetNumThreads wins over the default.
        exchange = b.cmpxchg(count, _I32(0), proposal, "monotonic", "monotonic")
        won = b.extract_value(exchange, 1)
        b.ret(b.select(won, proposal, b.extract_value(exchange, 0)))
        get_count = fn

        fn, b = self.start("XUSetNumThreads")
        requested = fn.args[0]
        clamped = self.smin(b, requested, _I32(MAX_THREADS))
        clamped = b.select(b.icmp_signed("<", clamped, _I32(0)), _I32(0), clamped)
        b.store_atomic(clamped, count, "monotonic", 4)
        b.ret_void()
        return get_count

    def string(self, name: str, text: str) -> ir.Value:
        data = bytearray(text.encode() + b"\0")
        variable = ir.GlobalVariable(
            self.module, ir.ArrayType(_I8, len(data)), name=name
        )
        variable.linkage = "internal"
        variable.global_constant = True
        variable.initializer = ir.Constant(ir.ArrayType(_I8, len(data)), data)
        return variable.bitcast(_PTR)

    # ---------------------------------------------------------------- thread pool
    def add_pool(self, get_count: ir.Function) -> None:
        # The job: written by the launcher before it bumps the mailboxes,
        # read by the participants after they see the bump.
        job_type = ir.LiteralStructType([_PTR, _PTR, _I64, _I64, _I64])
        job = self.global_var("xu_job", job_type, align=64)  # fn, closure, lb, n, tasks
        claim = self.global_var("xu_claim", _I64, align=64)  # epoch << 32 | next chunk
        finished = self.global_var("xu_finished", _I64, align=64)  # chunks done
        result = self.global_var(
            "xu_result", _I32, align=64
        )  # first non-zero fn result
        busy = self.global_var("xu_pool_busy", _I32, align=64)
        started = self.global_var("xu_workers_started", _I64, align=64)
        # One cache line per worker: {generation (the futex word), sleeping}.
        mailbox_type = ir.LiteralStructType([_I32, _I32, ir.ArrayType(_I8, 56)])
        mailboxes = self.global_var(
            "xu_mailboxes", ir.ArrayType(mailbox_type, MAX_THREADS), align=64
        )

        def field(b: ir.IRBuilder, index: int) -> ir.Value:
            return b.gep(job, [_I32(0), _I32(index)])

        def mailbox(b: ir.IRBuilder, worker: ir.Value, index: int) -> ir.Value:
            return b.gep(mailboxes, [_I64(0), worker, _I32(index)])

        run_tasks = self._add_run_tasks(field, claim, finished, result)
        worker_main = self._add_worker(mailbox, run_tasks)
        ensure_workers = self._add_ensure_workers(worker_main, started)

        fn, b = self.start("XUParallelLaunch")
        task_fn, closure, lb, ub, num_tasks = fn.args
        names = (
            "work",
            "serial",
            "claim",
            "pooled",
            "release",
            "publish",
            "wake",
            "wait",
        )
        blocks = {n: fn.append_basic_block(n) for n in names}
        size = b.sub(ub, lb)
        empty = b.icmp_signed("<=", size, _I64(0))
        b.cbranch(empty, blocks["serial"], blocks["work"])

        b.position_at_end(blocks["work"])
        threads = b.sext(b.call(get_count, []), _I64)
        default_tasks = b.mul(threads, _I64(TASKS_PER_THREAD))
        tasks = b.select(
            b.icmp_signed(">", num_tasks, _I64(0)), num_tasks, default_tasks
        )
        tasks = self.smin(b, self.smin(b, tasks, size), _I64(MAX_TASKS))
        participants = self.smin(b, tasks, threads)
        b.cbranch(
            b.icmp_signed("<=", participants, _I64(1)),
            blocks["serial"],
            blocks["claim"],
        )

        # Serial: the whole range in one call (an empty range calls nothing).
        b.position_at_end(blocks["serial"])
        call_block = fn.append_basic_block("serial_call")
        b.cbranch(b.icmp_signed("<=", size, _I64(0)), _return_zero(fn), call_block)
        b.position_at_end(call_block)
        typed_fn = b.bitcast(task_fn, _TASK_FN.as_pointer())
        b.ret(b.call(typed_fn, [lb, ub, closure]))

        b.position_at_end(blocks["claim"])
        claimed = b.extract_value(
            b.cmpxchg(busy, _I32(0), _I32(1), "acquire", "monotonic"), 1
        )
        b.cbranch(claimed, blocks["pooled"], blocks["serial"])

        b.position_at_end(blocks["pooled"])
        available = b.call(ensure_workers, [b.sub(participants, _I64(1))])
        participants = self.smin(b, participants, b.add(available, _I64(1)))
        b.cbranch(
            b.icmp_signed("<=", participants, _I64(1)),
            blocks["release"],
            blocks["publish"],
        )

        b.position_at_end(blocks["release"])  # no worker could be started
        b.store_atomic(_I32(0), busy, "release", 4)
        b.branch(blocks["serial"])

        b.position_at_end(blocks["publish"])
        # Late workers may still read the job: its fields are atomics.
        for index, value in enumerate((task_fn, closure, lb, size, tasks)):
            b.store_atomic(value, field(b, index), "monotonic", 8)
        b.store_atomic(_I64(0), finished, "monotonic", 8)
        b.store_atomic(_I32(0), result, "monotonic", 4)
        epoch = b.add(b.lshr(b.load_atomic(claim, "monotonic", 8), _I64(32)), _I64(1))
        b.store_atomic(b.shl(epoch, _I64(32)), claim, "release", 8)
        worker = b.alloca(_I64)
        b.store(_I64(1), worker)
        b.branch(blocks["wake"])

        # for w in 1..P-1: bump w's generation; futex-wake it if it sleeps.
        # Both sides are seq_cst (the worker sets `sleeping`, then reads the
        # generation), so either the worker sees the bump or we see it asleep.
        b.position_at_end(blocks["wake"])
        w = b.load(worker)
        generation = mailbox(b, w, 0)
        b.atomic_rmw("add", generation, _I32(1), "seq_cst")
        asleep = b.load_atomic(mailbox(b, w, 1), "seq_cst", 4)
        with b.if_then(b.icmp_signed("!=", asleep, _I32(0))):
            self.futex(b, generation, _FUTEX_WAKE_PRIVATE, _I64(1))
        following = b.add(w, _I64(1))
        b.store(following, worker)
        b.cbranch(
            b.icmp_signed("<", following, participants), blocks["wake"], blocks["wait"]
        )

        b.position_at_end(blocks["wait"])
        b.call(run_tasks, [])
        self.wait_until_equal(fn, b, finished, tasks)
        first_error = b.load_atomic(result, "monotonic", 4)
        b.store_atomic(_I32(0), busy, "release", 4)
        b.ret(first_error)

    def wait_until_equal(
        self, fn: ir.Function, b: ir.IRBuilder, counter: ir.Value, target: ir.Value
    ) -> None:
        """Spin with `pause` until *counter == target (acquire), then `sched_yield`."""
        spins = b.alloca(_I64)
        b.store(_I64(0), spins)
        check = fn.append_basic_block("wait_check")
        again = fn.append_basic_block("wait_again")
        done = fn.append_basic_block("wait_done")
        b.branch(check)
        b.position_at_end(check)
        reached = b.load_atomic(counter, "acquire", 8)
        b.cbranch(b.icmp_signed("==", reached, target), done, again)
        b.position_at_end(again)
        count = b.load(spins)
        with b.if_else(b.icmp_signed("<", count, _I64(SPIN_ITERATIONS))) as (
            spin,
            yield_,
        ):
            with spin:
                self.pause(b)
                b.store(b.add(count, _I64(1)), spins)
            with yield_:
                b.call(self.libc("sched_yield"), [])
        b.branch(check)
        b.position_at_end(done)

    def _add_run_tasks(
        self,
        field: Callable[[ir.IRBuilder, int], ir.Value],
        claim: ir.Value,
        finished: ir.Value,
        result: ir.Value,
    ) -> ir.Function:
        """void xu_run_tasks(): claim and run chunks of the job until none is left."""
        fn, b = self.internal("xu_run_tasks", _VOID, [])
        head = fn.append_basic_block("head")
        try_claim = fn.append_basic_block("try_claim")
        body = fn.append_basic_block("body")
        done = fn.append_basic_block("done")
        b.branch(head)
        b.position_at_end(head)
        # Read the claim word, then the job it belongs to (the launcher stores
        # the job before the word, with release); the swap below succeeds only
        # if no chunk was claimed since, so that job is still the current one.
        word = b.load_atomic(claim, "acquire", 8)
        job = [b.load_atomic(field(b, i), "monotonic", 8) for i in range(5)]
        task_fn = b.bitcast(job[0], _TASK_FN.as_pointer())
        closure, lb, size, tasks = job[1:]
        t = b.and_(word, _I64(0xFFFFFFFF))
        b.cbranch(b.icmp_signed("<", t, tasks), try_claim, done)
        b.position_at_end(try_claim)
        swap = b.cmpxchg(claim, word, b.add(word, _I64(1)), "acq_rel", "monotonic")
        b.cbranch(b.extract_value(swap, 1), body, head)
        b.position_at_end(body)
        base = b.sdiv(size, tasks)
        rest = b.srem(size, tasks)
        # Chunk t: the first `rest` chunks are one longer.
        begin = b.add(b.add(lb, b.mul(t, base)), self.smin(b, t, rest))
        longer = b.zext(b.icmp_signed("<", t, rest), _I64)
        end = b.add(begin, b.add(base, longer))
        status = b.call(task_fn, [begin, end, closure])
        with b.if_then(b.icmp_signed("!=", status, _I32(0))):
            b.cmpxchg(result, _I32(0), status, "monotonic", "monotonic")
        b.atomic_rmw("add", finished, _I64(1), "release")
        b.branch(head)
        b.position_at_end(done)
        b.ret_void()
        return fn

    def _add_worker(
        self,
        mailbox: Callable[[ir.IRBuilder, ir.Value, int], ir.Value],
        run_tasks: ir.Function,
    ) -> ir.Function:
        """void* xu_worker_main(void* index): wait for a bump, run chunks, repeat."""
        fn, b = self.internal("xu_worker_main", _PTR, [_PTR])
        names = (
            "idle",
            "spin",
            "spin_more",
            "sleep",
            "sleep_check",
            "sleep_wait",
            "woken",
            "run",
        )
        blocks = {n: fn.append_basic_block(n) for n in names}
        index = b.ptrtoint(fn.args[0], _I64)
        generation = mailbox(b, index, 0)
        sleeping = mailbox(b, index, 1)
        seen = b.alloca(_I32)  # the generation of the last job run
        spins = b.alloca(_I64)
        b.store(_I32(0), seen)
        b.branch(blocks["idle"])

        b.position_at_end(blocks["idle"])
        b.store(_I64(0), spins)
        b.branch(blocks["spin"])

        b.position_at_end(blocks["spin"])
        bumped = b.icmp_unsigned(
            "!=", b.load_atomic(generation, "acquire", 4), b.load(seen)
        )
        b.cbranch(bumped, blocks["run"], blocks["spin_more"])

        b.position_at_end(blocks["spin_more"])
        count = b.load(spins)
        b.store(b.add(count, _I64(1)), spins)
        self.pause(b)
        b.cbranch(
            b.icmp_signed("<", count, _I64(SPIN_ITERATIONS)),
            blocks["spin"],
            blocks["sleep"],
        )

        b.position_at_end(blocks["sleep"])
        b.store_atomic(_I32(1), sleeping, "seq_cst", 4)
        b.branch(blocks["sleep_check"])

        b.position_at_end(blocks["sleep_check"])
        bumped = b.icmp_unsigned(
            "!=", b.load_atomic(generation, "seq_cst", 4), b.load(seen)
        )
        b.cbranch(bumped, blocks["woken"], blocks["sleep_wait"])

        # The kernel sleeps only while the word still equals `seen`: no lost wake-up.
        b.position_at_end(blocks["sleep_wait"])
        self.futex(b, generation, _FUTEX_WAIT_PRIVATE, b.zext(b.load(seen), _I64))
        b.branch(blocks["sleep_check"])

        b.position_at_end(blocks["woken"])
        b.store_atomic(_I32(0), sleeping, "seq_cst", 4)
        b.branch(blocks["run"])

        # The generation cannot move again before this worker counts down.
        b.position_at_end(blocks["run"])
        b.store(b.load_atomic(generation, "acquire", 4), seen)
        b.call(run_tasks, [])
        b.branch(blocks["idle"])
        return fn

    def _add_ensure_workers(
        self, worker_main: ir.Function, started: ir.Value
    ) -> ir.Function:
        """i64 xu_ensure_workers(i64 need): start workers up to `need`; how many exist.

        Called by the pool's owner only.  Workers inherit a fully blocked
        signal mask, so signal handlers never run on them.
        """
        fn, b = self.internal("xu_ensure_workers", _I64, [_I64])
        need = fn.args[0]
        names = ("create", "loop", "make", "detach", "restore", "done")
        blocks = {n: fn.append_basic_block(n) for n in names}
        count = b.alloca(_I64)
        thread = b.alloca(_I64)
        blocked = b.alloca(ir.ArrayType(_I8, _SIGSET_BYTES))
        previous = b.alloca(ir.ArrayType(_I8, _SIGSET_BYTES))
        b.store(b.load(started), count)
        b.cbranch(
            b.icmp_signed("<", b.load(count), need), blocks["create"], blocks["done"]
        )

        b.position_at_end(blocks["create"])
        blocked_ptr, previous_ptr = b.bitcast(blocked, _PTR), b.bitcast(previous, _PTR)
        b.call(self.libc("sigfillset"), [blocked_ptr])
        b.call(
            self.libc("pthread_sigmask"),
            [_I32(_SIG_SETMASK), blocked_ptr, previous_ptr],
        )
        b.branch(blocks["loop"])

        b.position_at_end(blocks["loop"])
        b.cbranch(
            b.icmp_signed("<", b.load(count), need), blocks["make"], blocks["restore"]
        )

        b.position_at_end(blocks["make"])
        index = b.add(b.load(count), _I64(1))
        status = b.call(
            self.libc("pthread_create"),
            [
                thread,
                ir.Constant(_PTR, None),
                b.bitcast(worker_main, _PTR),
                b.inttoptr(index, _PTR),
            ],
        )
        b.cbranch(
            b.icmp_signed("==", status, _I32(0)), blocks["detach"], blocks["restore"]
        )

        b.position_at_end(blocks["detach"])
        b.call(self.libc("pthread_detach"), [b.load(thread)])
        b.store(index, count)
        b.branch(blocks["loop"])

        b.position_at_end(blocks["restore"])
        null = ir.Constant(_PTR, None)
        b.call(self.libc("pthread_sigmask"), [_I32(_SIG_SETMASK), previous_ptr, null])
        b.store(b.load(count), started)
        b.branch(blocks["done"])

        b.position_at_end(blocks["done"])
        b.ret(b.load(count))
        return fn


def _return_null(fn: ir.Function) -> ir.Block:
    block = fn.append_basic_block("return_null")
    ir.IRBuilder(block).ret(ir.Constant(_PTR, None))
    return block


def _return_zero(fn: ir.Function) -> ir.Block:
    block = fn.append_basic_block("return_zero")
    ir.IRBuilder(block).ret(_I32(0))
    return block


@functools.cache
def standalone_runtime_ir(triple: str, data_layout: str) -> str:
    """The complete runtime for a target, for a shared library to embed."""
    runtime = _RuntimeModule(triple, data_layout)
    runtime.add_memory()
    runtime.add_objects()
    runtime.add_workspace()
    runtime.add_errors()
    runtime.add_pool(runtime.add_thread_count())
    return str(runtime.module)


@functools.cache
def _forwarders_ir(triple: str, data_layout: str) -> str:
    module = ir.Module(name="xunity_runtime_forwarders")
    module.triple = triple
    module.data_layout = data_layout
    for name, (ret, args) in RUNTIME_SIGNATURES.items():
        target = _function(module, _FORWARD_PREFIX + name, ret, args)
        fn = declare_runtime(module, name)
        b = ir.IRBuilder(fn.append_basic_block("entry"))
        call = b.call(target, list(fn.args), tail=True)
        b.ret(call) if ret != _VOID else b.ret_void()
    return str(module)


def runtime_ir(triple: str, data_layout: str) -> str:
    """What a JIT engine adds: the runtime functions, forwarding to the process runtime.

    Loads the process runtime first, so the forwarders resolve when the
    engine links them.
    """
    _process_runtime()
    return _forwarders_ir(triple, data_layout)


@functools.cache
def _process_runtime() -> dict[str, int]:
    """Compile the runtime once per process; its functions' addresses by name."""
    from xunity.backends.llvm.jit import JitEngine

    engine = JitEngine()
    engine.add(standalone_runtime_ir(engine.target.triple, engine.target.data_layout))
    addresses = {name: engine.address(name) for name in RUNTIME_SIGNATURES}
    for name, address in addresses.items():
        llvm.add_symbol(_FORWARD_PREFIX + name, address)
    # Never freed, not even at interpreter exit: detached workers run its code.
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(engine))
    return addresses


def set_num_threads(count: int) -> None:
    """XUSetNumThreads for this process's compiled code (<= 0: the default)."""
    address = _process_runtime()["XUSetNumThreads"]
    ctypes.CFUNCTYPE(None, ctypes.c_int32)(address)(count)


def get_num_threads() -> int:
    """XUGetNumThreads: the threads a parallel region of this process may use."""
    address = _process_runtime()["XUGetNumThreads"]
    return ctypes.CFUNCTYPE(ctypes.c_int32)(address)()
