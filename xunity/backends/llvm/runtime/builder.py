# llvmlite's IR builder is untyped (its methods are made by decorators), so
# pyright infers None for every instruction it returns.
# pyright: reportArgumentType=false, reportAssignmentType=false
# pyright: reportReturnType=false, reportAttributeAccessIssue=false
"""What every runtime concern builds with: IR types, declarations, `RuntimeBuilder`.

The concern modules (allocator, objects, workspace, errors, argument checks,
thread count, thread pool) each add their functions to one `RuntimeBuilder`:
it owns the module and the helpers they share (typed fields, counted loops,
the CPU's spin hint, the futex), so a function one concern needs from another is
declared by its exported name or passed in, never rebuilt.  The packed
wrappers (backends/llvm/packed.py) use `libc` and `declare_runtime` too.
"""

from __future__ import annotations

from llvmlite import ir

I1 = ir.IntType(1)
I8 = ir.IntType(8)
I32 = ir.IntType(32)
I64 = ir.IntType(64)
PTR = I8.as_pointer()
VOID = ir.VoidType()
NULL = ir.Constant(PTR, None)
TASK_FN = ir.FunctionType(I32, [I64, I64, PTR])
"""int32_t (*fn)(int64_t begin, int64_t end, void* closure)"""

# Linux: the futex system call numbers are per architecture.
SYS_FUTEX = {"x86_64": 202, "aarch64": 98}
FUTEX_WAIT_PRIVATE = 128
FUTEX_WAKE_PRIVATE = 129


def function(
    module: ir.Module, name: str, ret: ir.Type, args: list[ir.Type]
) -> ir.Function:
    """The function `name` of `module`, declared on first use."""
    existing = module.globals.get(name)
    if isinstance(existing, ir.Function):
        return existing
    return ir.Function(module, ir.FunctionType(ret, args), name=name)


_LIBC: dict[str, tuple[ir.Type, list[ir.Type], bool]] = {
    "posix_memalign": (I32, [PTR.as_pointer(), I64, I64], False),
    "free": (VOID, [PTR], False),
    "calloc": (PTR, [I64, I64], False),
    "memcpy": (PTR, [PTR, PTR, I64], False),
    "strncpy": (PTR, [PTR, PTR, I64], False),
    "snprintf": (I32, [PTR, I64, PTR], True),
    "getenv": (PTR, [PTR], False),
    "strtol": (I64, [PTR, PTR.as_pointer(), I32], False),
    "sysconf": (I64, [I32], False),
    "sched_getaffinity": (I32, [I32, I64, PTR], False),
    "sched_getcpu": (I32, [], False),
    "pthread_setaffinity_np": (I32, [I64, I64, PTR], False),
    "pthread_getaffinity_np": (I32, [I64, I64, PTR], False),
    "fopen": (PTR, [PTR, PTR], False),
    "fgets": (PTR, [PTR, I32, PTR], False),
    "fclose": (I32, [PTR], False),
    "strncmp": (I32, [PTR, PTR, I64], False),
    "strcspn": (I64, [PTR, PTR], False),
    "strrchr": (PTR, [PTR, I32], False),
    "syscall": (I64, [I64], True),
    "sched_yield": (I32, [], False),
    "sigfillset": (I32, [PTR], False),
    "pthread_sigmask": (I32, [I32, PTR, PTR], False),
    "pthread_create": (I32, [I64.as_pointer(), PTR, PTR, PTR], False),
    "pthread_detach": (I32, [I64], False),
    "pthread_key_create": (I32, [I32.as_pointer(), PTR], False),
    "pthread_getspecific": (PTR, [I32], False),
    "pthread_setspecific": (I32, [I32, PTR], False),
    # pthread_atfork itself is not exported by glibc's libc.so (it lives in
    # libc_nonshared.a), so the JIT could not resolve it; this is what it calls.
    "__register_atfork": (I32, [PTR, PTR, PTR, PTR], False),
}
"""The libc functions the runtime calls: all it needs, so that both the JIT
(process symbols) and a linked shared library provide them."""


def libc(module: ir.Module, name: str) -> ir.Function:
    """A libc declaration (idempotent)."""
    ret, args, variadic = _LIBC[name]
    existing = module.globals.get(name)
    if isinstance(existing, ir.Function):
        return existing
    return ir.Function(module, ir.FunctionType(ret, args, var_arg=variadic), name=name)


RUNTIME_SIGNATURES: dict[str, tuple[ir.Type, list[ir.Type]]] = {
    "XUAlloc": (PTR, [I64, I64]),
    "XUFree": (VOID, [PTR]),
    "XUCopy": (VOID, [PTR, PTR, I64]),
    "XUWorkspaceAlloc": (PTR, [I64, I64]),
    "XUWorkspaceFree": (VOID, [PTR]),
    "XUTensorCreate": (PTR, [I32, I64.as_pointer(), I32]),
    "XUArrayCreate": (PTR, [I64, PTR.as_pointer()]),
    "XUObjectIncRef": (VOID, [PTR]),
    "XUObjectDecRef": (VOID, [PTR]),
    "XUSetLastError": (VOID, [PTR]),
    "XUGetLastError": (PTR, []),
    "XUErrorBuffer": (PTR, []),
    "XUParallelLaunch": (I32, [PTR, PTR, I64, I64, I64]),
    "XUSetNumThreads": (VOID, [I32]),
    "XUGetNumThreads": (I32, []),
    "XUCheckArguments": (I32, [PTR, PTR, I64.as_pointer(), PTR.as_pointer()]),
}
"""Every exported runtime function, in LLVM IR types."""


def declare_runtime(module: ir.Module, name: str) -> ir.Function:
    """Declare one runtime function in a module that calls it."""
    ret, args = RUNTIME_SIGNATURES[name]
    return function(module, name, ret, args)


def target_arch(triple: str) -> str:
    """The architecture of `triple`, if the runtime supports it (else ValueError)."""
    arch = triple.split("-")[0]
    if arch not in SYS_FUTEX or "linux" not in triple:
        raise ValueError(
            f"xunity runtime: the thread pool needs Linux on x86_64 or aarch64, "
            f"not {triple}"
        )
    return arch


def return_null(fn: ir.Function) -> ir.Block:
    """A block of `fn` that returns NULL: where failed checks branch."""
    block = fn.append_basic_block("return_null")
    ir.IRBuilder(block).ret(NULL)
    return block


def return_zero(fn: ir.Function) -> ir.Block:
    """A block of `fn` that returns 0."""
    block = fn.append_basic_block("return_zero")
    ir.IRBuilder(block).ret(I32(0))
    return block


class RuntimeBuilder:
    """The runtime module being built, and the helpers its concerns share."""

    def __init__(self, triple: str, data_layout: str):
        self.arch = target_arch(triple)
        self.module = ir.Module(name="xunity_runtime")
        self.module.triple = triple
        self.module.data_layout = data_layout
        self._loops: dict[str, tuple[ir.Value, ir.Block, ir.Block]] = {}

    # ------------------------------------------------------------ symbols
    def start(self, name: str) -> tuple[ir.Function, ir.IRBuilder]:
        """An exported runtime function and a builder at its entry."""
        fn = declare_runtime(self.module, name)
        return fn, ir.IRBuilder(fn.append_basic_block("entry"))

    def internal(
        self, name: str, ret: ir.Type, args: list[ir.Type]
    ) -> tuple[ir.Function, ir.IRBuilder]:
        """A function private to the runtime and a builder at its entry."""
        fn = function(self.module, name, ret, args)
        fn.linkage = "internal"
        return fn, ir.IRBuilder(fn.append_basic_block("entry"))

    def runtime(self, name: str) -> ir.Function:
        """An exported runtime function, to call (another concern defines it)."""
        return declare_runtime(self.module, name)

    def libc(self, name: str) -> ir.Function:
        return libc(self.module, name)

    def global_var(self, name: str, type: ir.Type, align: int = 0) -> ir.GlobalVariable:
        """A zero-initialised internal global."""
        variable = ir.GlobalVariable(self.module, type, name=name)
        variable.linkage = "internal"
        variable.initializer = ir.Constant(type, None)
        if align:
            variable.align = align
        return variable

    def string(self, name: str, text: str) -> ir.Value:
        """A NUL-terminated constant string, as an i8*."""
        data = bytearray(text.encode() + b"\0")
        variable = ir.GlobalVariable(
            self.module, ir.ArrayType(I8, len(data)), name=name
        )
        variable.linkage = "internal"
        variable.global_constant = True
        variable.initializer = ir.Constant(ir.ArrayType(I8, len(data)), data)
        return variable.bitcast(PTR)

    # ------------------------------------------------------------ values
    def field(
        self, b: ir.IRBuilder, base: ir.Value, offset: int | ir.Value, type: ir.Type
    ) -> ir.Value:
        """A typed pointer to `base + offset` bytes: how the abi.py layouts are read."""
        offset_value = I64(offset) if isinstance(offset, int) else offset
        return b.bitcast(b.gep(base, [offset_value]), type.as_pointer())

    @staticmethod
    def smin(b: ir.IRBuilder, x: ir.Value, y: ir.Value) -> ir.Value:
        return b.select(b.icmp_signed("<", x, y), x, y)

    @staticmethod
    def at_least(b: ir.IRBuilder, value: ir.Value, floor: int | ir.Value) -> ir.Value:
        """max(value, floor): sizes, alignments and thread counts are clamped so."""
        if isinstance(floor, int):
            floor = ir.Constant(value.type, floor)
        return b.select(b.icmp_signed("<", value, floor), floor, value)

    # ------------------------------------------------------------ control flow
    @staticmethod
    def check(
        fn: ir.Function, b: ir.IRBuilder, failed: ir.Value, fail: ir.Block, name: str
    ) -> None:
        """Branch to `fail` if `failed`; else `b` continues in a new block `name`."""
        ok = fn.append_basic_block(name)
        b.cbranch(failed, fail, ok)
        b.position_at_end(ok)

    def counted_loop(
        self, fn: ir.Function, b: ir.IRBuilder, count: ir.Value, name: str
    ) -> ir.Value:
        """Positions `b` in the body of `for i in [0, count)`; returns i.

        The caller emits the body, then `self.next_iteration(b, name)`.  The
        counter lives in the entry block, so loops may nest.
        """
        with b.goto_entry_block():
            index = b.alloca(I64, name=f"{name}_i")
        b.store(I64(0), index)
        head = fn.append_basic_block(f"{name}_head")
        body = fn.append_basic_block(f"{name}_body")
        done = fn.append_basic_block(f"{name}_done")
        b.branch(head)
        b.position_at_end(head)
        i = b.load(index)
        b.cbranch(b.icmp_signed("<", i, count), body, done)
        b.position_at_end(body)
        self._loops[name] = (index, head, done)
        return i

    def next_iteration(self, b: ir.IRBuilder, name: str) -> None:
        """Close the loop opened by `counted_loop`; `b` continues after it."""
        index, head, done = self._loops.pop(name)
        b.store(b.add(b.load(index), I64(1)), index)
        b.branch(head)
        b.position_at_end(done)

    # ------------------------------------------------------------ platform
    def pause(self, b: ir.IRBuilder) -> None:
        """The CPU's spin-wait hint."""
        if self.arch == "x86_64":
            fn = function(self.module, "llvm.x86.sse2.pause", VOID, [])
            b.call(fn, [])
        else:
            fn = function(self.module, "llvm.aarch64.hint", VOID, [I32])
            b.call(fn, [I32(1)])  # yield

    def futex(self, b: ir.IRBuilder, word: ir.Value, op: int, value: ir.Value) -> None:
        """syscall(SYS_futex, word, op, value, NULL, NULL, 0)."""
        number = I64(SYS_FUTEX[self.arch])
        b.call(
            self.libc("syscall"),
            [number, b.bitcast(word, PTR), I64(op), value, NULL, NULL, I64(0)],
        )
