"""The pool keeps its workers off the launching thread's CPU.

In a subprocess (its affinity is changed): the caller is pinned to one CPU,
runs a parallel kernel, and every pool worker's allowed CPUs must then leave
that CPU out; pinned to another CPU, the workers follow.  With a single
usable CPU nothing is narrowed (a worker must always have a CPU).
"""

import os
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import os, sys
    import numpy as np
    import xunity

    program = '''func.func @main(%x: !graph.tensor<[n, 4096], f32>) -> !graph.tensor<[n, 4096], f32> {
      %y = graph.exp %x : !graph.tensor<[n, 4096], f32>
      func.return %y : !graph.tensor<[n, 4096], f32>
    }'''
    main = xunity.compile(program)["main"]
    x = np.random.default_rng(0).standard_normal((64, 4096)).astype(np.float32)
    before = set(os.listdir("/proc/self/task"))
    main(x)  # the pool starts, sized by the affinity the process began with

    def allowed(tid):
        with open(f"/proc/self/task/{tid}/status") as f:
            line = next(l for l in f if l.startswith("Cpus_allowed_list"))
        cpus = set()
        for part in line.split(":")[1].strip().split(","):
            lo, _, hi = part.partition("-")
            cpus.update(range(int(lo), int(hi or lo) + 1))
        return cpus

    for cpu in map(int, sys.argv[1:]):
        os.sched_setaffinity(0, {cpu})
        np.testing.assert_allclose(main(x), np.exp(x), rtol=1e-6)
        workers = set(os.listdir("/proc/self/task")) - before - {str(os.getpid())}
        assert workers, "no pool worker was started"
        print(cpu, sorted(sorted(allowed(t)) for t in workers))
    """
)


def _run(*cpus: int) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, *map(str, cpus)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs")
def test_workers_leave_the_callers_cpu_out() -> None:
    first, second = sorted(os.sched_getaffinity(0))[:2]
    for line in _run(first, second, first):
        cpu, masks = line.split(" ", 1)
        for mask in eval(masks):  # a printed list of lists of ints
            assert int(cpu) not in mask, line
            assert mask, line
