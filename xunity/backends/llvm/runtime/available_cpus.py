# pyright: reportArgumentType=false, reportAssignmentType=false
# pyright: reportAttributeAccessIssue=false
"""The CPUs this process may use: the default thread count (thread_count.py).

    int64_t xu_available_cpus(void)

The smallest of

- the CPUs in the process's affinity mask (`sched_getaffinity` with a
  1024-CPU mask, counted with popcount; the online CPUs if that fails), so
  `taskset`, `numactl` and `docker --cpuset-cpus` are respected, and
- the cgroup CPU quota rounded up (`docker --cpus=1.5`, a Kubernetes CPU
  limit): cgroup v2 `cpu.max` ("quota period", "max" for none) of the
  process's cgroup (the `0::` line of /proc/self/cgroup, under
  /sys/fs/cgroup) and of each of its ancestors up to the mount root; cgroup
  v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us` (-1 for none) at the cpu
  controller's mount root, /sys/fs/cgroup/cpu,

and at least 1.  A file that is missing or unreadable sets no limit.

Why in the runtime IR rather than computed in Python and passed down:
exported libraries have no Python, and a C host (a server in a container)
is where a quota matters most.  The files are read with `fopen`/`fgets` and
parsed with `strtol` (no `fscanf`: the same calls whether the JIT resolves
them or the system linker does).  cgroup v1 is read at the mount root only:
a container (Docker, Kubernetes) sees its own cgroup there, while finding a
host process's v1 cgroup would mean parsing the controller lists of
/proc/self/cgroup, for a layout systemd has replaced by v2.  All of this
runs once, on the first XUGetNumThreads that has no count set.
"""

from __future__ import annotations

from llvmlite import ir

from xunity.backends.llvm.runtime.builder import (
    I8,
    I32,
    I64,
    NULL,
    PTR,
    RuntimeBuilder,
    function,
)

AFFINITY_BYTES = 128
"""The affinity mask: 1024 CPUs, glibc's cpu_set_t (more: EINVAL, the fallback)."""
_SC_NPROCESSORS_ONLN = 84
"""sysconf's name for the online CPUs (Linux)."""
NO_LIMIT = 1 << 62
"""A quota that limits nothing."""
CGROUP_ROOT = "/sys/fs/cgroup"
CGROUP_V1_QUOTA = CGROUP_ROOT + "/cpu/cpu.cfs_quota_us"
CGROUP_V1_PERIOD = CGROUP_ROOT + "/cpu/cpu.cfs_period_us"
_LINE_BYTES = 4096
"""A line of /proc/self/cgroup (a cgroup path is at most PATH_MAX)."""
_PATH_BYTES = _LINE_BYTES + 64
_NUMBER_BYTES = 64
"""A line of a quota file."""


def add_available_cpus(rt: RuntimeBuilder) -> ir.Function:
    """i64 xu_available_cpus(): min(affinity CPUs, cgroup quota), at least 1."""
    affinity = _add_affinity_cpus(rt)
    read_line = _add_read_line(rt)
    v2 = _add_cgroup_v2_cpus(rt, read_line)
    v1 = _add_cgroup_v1_cpus(rt, read_line)
    fn, b = rt.internal("xu_available_cpus", I64, [])
    quota = rt.smin(b, b.call(v2, []), b.call(v1, []))
    b.ret(rt.at_least(b, rt.smin(b, b.call(affinity, []), quota), 1))
    return fn


def _add_affinity_cpus(rt: RuntimeBuilder) -> ir.Function:
    """i64 xu_affinity_cpus(): CPUs in the affinity mask, else the online CPUs."""
    fn, b = rt.internal("xu_affinity_cpus", I64, [])
    words = AFFINITY_BYTES // 8
    mask_type = ir.ArrayType(I64, words)
    mask = b.alloca(mask_type)
    b.store(ir.Constant(mask_type, None), mask)
    status = b.call(
        rt.libc("sched_getaffinity"),
        [I32(0), I64(AFFINITY_BYTES), b.bitcast(mask, PTR)],
    )
    popcount = function(rt.module, "llvm.ctpop.i64", I64, [I64])
    count = I64(0)
    for word in range(words):
        value = b.load(b.gep(mask, [I64(0), I64(word)]))
        count = b.add(count, b.call(popcount, [value]))
    online = b.call(rt.libc("sysconf"), [I32(_SC_NPROCESSORS_ONLN)])
    usable = b.and_(
        b.icmp_signed("==", status, I32(0)), b.icmp_signed(">", count, I64(0))
    )
    b.ret(b.select(usable, count, online))
    return fn


def _add_read_line(rt: RuntimeBuilder) -> ir.Function:
    """void xu_read_line(path, buffer, size): the file's first line, or "" if none."""
    fn, b = rt.internal("xu_read_line", ir.VoidType(), [PTR, PTR, I32])
    path, buffer, size = fn.args
    b.store(I8(0), buffer)
    file = b.call(rt.libc("fopen"), [path, rt.string("xu_read_mode", "r")])
    with b.if_then(b.icmp_unsigned("!=", file, NULL)):
        line = b.call(rt.libc("fgets"), [buffer, size, file])
        with b.if_then(b.icmp_unsigned("==", line, NULL)):
            b.store(I8(0), buffer)
        b.call(rt.libc("fclose"), [file])
    b.ret_void()
    return fn


def _quota_cpus(
    rt: RuntimeBuilder, b: ir.IRBuilder, quota: ir.Value, period: ir.Value
) -> ir.Value:
    """ceil(quota / period) if both are positive, else NO_LIMIT."""
    limited = b.and_(
        b.icmp_signed(">", quota, I64(0)), b.icmp_signed(">", period, I64(0))
    )
    safe_period = rt.at_least(b, period, 1)
    whole = b.sdiv(quota, safe_period)
    partial = b.zext(b.icmp_signed("!=", b.srem(quota, safe_period), I64(0)), I64)
    return b.select(limited, b.add(whole, partial), I64(NO_LIMIT))


def _add_cgroup_v1_cpus(rt: RuntimeBuilder, read_line: ir.Function) -> ir.Function:
    """i64 xu_cgroup_v1_cpus(): the cpu controller's quota at its mount root."""
    fn, b = rt.internal("xu_cgroup_v1_cpus", I64, [])
    numbers = []
    for name, path in (("quota", CGROUP_V1_QUOTA), ("period", CGROUP_V1_PERIOD)):
        buffer = b.bitcast(b.alloca(ir.ArrayType(I8, _NUMBER_BYTES)), PTR)
        b.call(
            read_line,
            [rt.string(f"xu_cgroup_v1_{name}", path), buffer, I32(_NUMBER_BYTES)],
        )
        no_end = ir.Constant(PTR.as_pointer(), None)
        numbers.append(b.call(rt.libc("strtol"), [buffer, no_end, I32(10)]))
    b.ret(_quota_cpus(rt, b, *numbers))
    return fn


def _add_cgroup_v2_cpus(rt: RuntimeBuilder, read_line: ir.Function) -> ir.Function:
    """i64 xu_cgroup_v2_cpus(): the least cpu.max of the process's cgroup and its
    ancestors."""
    fn, b = rt.internal("xu_cgroup_v2_cpus", I64, [])
    names = ("open", "next_line", "check_line", "close", "walk", "up", "done")
    blocks = {n: fn.append_basic_block(n) for n in names}
    line = b.bitcast(b.alloca(ir.ArrayType(I8, _LINE_BYTES)), PTR)
    directory = b.bitcast(b.alloca(ir.ArrayType(I8, _PATH_BYTES)), PTR)
    path = b.bitcast(b.alloca(ir.ArrayType(I8, _PATH_BYTES)), PTR)
    number = b.bitcast(b.alloca(ir.ArrayType(I8, _NUMBER_BYTES)), PTR)
    end = b.alloca(PTR)
    found = b.alloca(I32)
    limit = b.alloca(I64)
    b.store(I32(0), found)
    b.store(I64(NO_LIMIT), limit)
    file = b.call(
        rt.libc("fopen"),
        [
            rt.string("xu_proc_cgroup", "/proc/self/cgroup"),
            rt.string("xu_cgroup_mode", "r"),
        ],
    )
    b.cbranch(b.icmp_unsigned("==", file, NULL), blocks["done"], blocks["open"])

    # Find the unified hierarchy's line, "0::<path>".
    b.position_at_end(blocks["open"])
    b.branch(blocks["next_line"])
    b.position_at_end(blocks["next_line"])
    read = b.call(rt.libc("fgets"), [line, I32(_LINE_BYTES), file])
    b.cbranch(b.icmp_unsigned("==", read, NULL), blocks["close"], blocks["check_line"])
    b.position_at_end(blocks["check_line"])
    prefix = rt.string("xu_cgroup_v2_prefix", "0::")
    differs = b.call(rt.libc("strncmp"), [line, prefix, I64(3)])
    is_v2 = b.icmp_signed("==", differs, I32(0))
    with b.if_then(is_v2):
        b.store(I32(1), found)
    b.cbranch(is_v2, blocks["close"], blocks["next_line"])

    b.position_at_end(blocks["close"])
    b.call(rt.libc("fclose"), [file])
    is_found = b.icmp_signed("!=", b.load(found), I32(0))
    with b.if_then(is_found):
        newline = b.call(rt.libc("strcspn"), [line, rt.string("xu_newline", "\n")])
        b.store(I8(0), b.gep(line, [newline]))
        b.call(
            rt.libc("snprintf"),
            [
                directory,
                I64(_PATH_BYTES),
                rt.string("xu_cgroup_dir_format", CGROUP_ROOT + "%s"),
                b.gep(line, [I64(3)]),
            ],
        )
    b.cbranch(is_found, blocks["walk"], blocks["done"])

    # <dir>/cpu.max, then the parent's, up to the mount root.
    b.position_at_end(blocks["walk"])
    b.call(
        rt.libc("snprintf"),
        [
            path,
            I64(_PATH_BYTES),
            rt.string("xu_cpu_max_format", "%s/cpu.max"),
            directory,
        ],
    )
    b.call(read_line, [path, number, I32(_NUMBER_BYTES)])
    quota = b.call(rt.libc("strtol"), [number, end, I32(10)])
    period = b.call(
        rt.libc("strtol"), [b.load(end), ir.Constant(PTR.as_pointer(), None), I32(10)]
    )
    b.store(rt.smin(b, b.load(limit), _quota_cpus(rt, b, quota, period)), limit)
    slash = b.call(rt.libc("strrchr"), [directory, I32(ord("/"))])
    depth = b.sub(b.ptrtoint(slash, I64), b.ptrtoint(directory, I64))
    at_root = b.or_(
        b.icmp_unsigned("==", slash, NULL),
        b.icmp_signed("<", depth, I64(len(CGROUP_ROOT))),
    )
    b.cbranch(at_root, blocks["done"], blocks["up"])
    b.position_at_end(blocks["up"])
    b.store(I8(0), slash)
    b.branch(blocks["walk"])

    b.position_at_end(blocks["done"])
    b.ret(b.load(limit))
    return fn
