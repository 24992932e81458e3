"""Shared libraries: export, load back, call from C and through tvm-ffi.

The model is examples/c/mlp.mlir with random weights baked in; every path
(JIT, `xunity.load_module`, the C host, tvm-ffi) must give numpy's numbers
and the packed functions' error messages.
"""

import ctypes
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import xunity
from xunity.runtime.executable import XunityError
from xunity.runtime.export import (
    INCLUDE_DIR,
    ExportError,
    export_library,
    find_c_compiler,
)
from xunity.runtime.library import SharedLibrary
from xunity.strategies.packing import pack_rhs

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "c"
HAVE_CC = any(shutil.which(name) for name in ("cc", "gcc", "clang"))
needs_cc = pytest.mark.skipif(not HAVE_CC, reason="no C compiler on PATH")

WRONG_SHAPE = (
    r"^main: argument 0 \(x\): expected shape \[n, 16\] where n = 3, got \[3, 15\]$"
)


def _params() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        "w1": rng.standard_normal((16, 32)).astype(np.float32) / 4,
        "b1": rng.standard_normal(32).astype(np.float32),
        "w2": rng.standard_normal((32, 4)).astype(np.float32) / 4,
        "b2": rng.standard_normal(4).astype(np.float32),
    }


def _reference(x: np.ndarray) -> np.ndarray:
    p = {k: v.astype(np.float64) for k, v in _params().items()}
    h = np.maximum(x.astype(np.float64) @ p["w1"] + p["b1"], 0)
    return h @ p["w2"] + p["b2"]


def _example_input(n: int) -> np.ndarray:
    """What run_model.c feeds: x[i] = ((i % 13) - 6) / 4, row-major."""
    return (((np.arange(n * 16) % 13) - 6) / 4).astype(np.float32).reshape(n, 16)


@pytest.fixture(scope="module")
def mlp() -> xunity.Executable:
    return xunity.compile((EXAMPLE / "mlp.mlir").read_text(), params=_params())


@pytest.fixture(scope="module")
def library(mlp: xunity.Executable, tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not HAVE_CC:
        pytest.skip("no C compiler on PATH")
    path = tmp_path_factory.mktemp("export") / "mlp.so"
    mlp.export_library(path)
    return path


@pytest.fixture(scope="module")
def loaded(library: Path) -> xunity.Executable:
    return xunity.load_module(library)


# ------------------------------------------------------------ round trip
@pytest.mark.parametrize("n", [3, 1, 0, 130])
def test_loaded_library_gives_the_jit_numbers(
    mlp: xunity.Executable, loaded: xunity.Executable, n: int
) -> None:
    x = np.random.default_rng(n).standard_normal((n, 16)).astype(np.float32)
    y = loaded["main"](x)
    assert isinstance(y, np.ndarray) and y.shape == (n, 4)
    np.testing.assert_array_equal(y, mlp["main"](x))
    np.testing.assert_allclose(y, _reference(x), rtol=1e-5, atol=1e-5)


def test_loaded_library_has_the_same_functions_and_signatures(
    mlp: xunity.Executable, loaded: xunity.Executable
) -> None:
    assert loaded.function_names == mlp.function_names
    for name in mlp.function_names:
        assert loaded[name].signature == mlp[name].signature


def test_loaded_libraries_follow_set_num_threads(
    loaded: xunity.Executable, library: Path, tmp_path: Path
) -> None:
    """A library has its own runtime and thread pool; `xunity.set_num_threads`
    sets the count of those loaded before and after it, like the JIT's."""
    copy = tmp_path / "mlp_copy.so"  # another path: another dlopen, another runtime
    shutil.copy(library, copy)

    def library_count(exe: xunity.Executable) -> int:
        address = exe.engine.address("XUGetNumThreads")
        return ctypes.CFUNCTYPE(ctypes.c_int32)(address)()

    try:
        xunity.set_num_threads(3)
        later = xunity.load_module(copy)
        assert library_count(loaded) == library_count(later) == 3
        assert xunity.get_num_threads() == 3
        x = _example_input(5)
        np.testing.assert_allclose(
            later["main"](x), _reference(x), rtol=1e-5, atol=1e-5
        )
    finally:
        xunity.set_num_threads(0)
    default = xunity.get_num_threads()
    assert library_count(loaded) == library_count(later) == default


def test_loaded_kernel_runs_with_explicit_outputs(
    mlp: xunity.Executable, loaded: xunity.Executable
) -> None:
    # The first layer is one fused kernel: relu(x @ w1 + b1), its bound w1
    # packed at compile time (graph-prepack-weights).
    layer = next(name for name in loaded.function_names if "relu" in name)
    x = np.linspace(-1, 1, 5 * 16, dtype=np.float32).reshape(5, 16)
    p = _params()
    out = np.empty((5, 32), np.float32)
    loaded[layer].call_packed(x, pack_rhs(p["w1"]), p["b1"], out)
    expected = np.maximum(x.astype(np.float64) @ p["w1"] + p["b1"], 0)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


def test_metadata_describes_every_function(library: Path) -> None:
    metadata = SharedLibrary(library).metadata()
    assert (metadata["format"], metadata["version"]) == ("xunity.module", 2)
    main = next(f for f in metadata["functions"] if f["name"] == "main")
    assert main == {
        "name": "main",
        "symbol": "__tvm_ffi_main",
        "destination_symbol": "__tvm_ffi_main_out",
        "kind": "graph",
        "inputs": [
            {
                "dtype": "float32",
                "shape": ["n", "16"],
                "type": "!graph.tensor<[n, 16], f32>",
            }
        ],
        "outputs": [
            {
                "dtype": "float32",
                "shape": ["n", "4"],
                "type": "!graph.tensor<[n, 4], f32>",
            }
        ],
    }
    # Two fused kernels: matmul + bias + relu, matmul + bias.
    kernels = [f for f in metadata["functions"] if f["kind"] == "kernel"]
    assert len(kernels) == 2 and all(
        f["symbol"] == f"__tvm_ffi_{f['name']}" for f in kernels
    )


# ------------------------------------------------------------ errors
def test_wrong_shape_through_loaded_library(loaded: xunity.Executable) -> None:
    with pytest.raises(XunityError, match=WRONG_SHAPE):
        loaded["main"](np.zeros((3, 15), np.float32))


def test_wrong_dtype_through_loaded_library(loaded: xunity.Executable) -> None:
    with pytest.raises(
        XunityError,
        match=r"^main: argument 0 \(x\): expected dtype float32, got DLPack code 2 bits 64 lanes 1$",
    ):
        loaded["main"](np.zeros((3, 16), np.float64))


def test_wrong_argument_count_through_loaded_library(loaded: xunity.Executable) -> None:
    x = np.zeros((3, 16), np.float32)
    with pytest.raises(XunityError, match=r"^main: expected 1 arguments, got 2$"):
        loaded["main"](x, x)
    with pytest.raises(XunityError, match=r"^main_out: expected 2 arguments, got 3$"):
        loaded["main"].call_packed(x, x, np.zeros((3, 4), np.float32))


def test_loaded_library_fills_caller_outputs(
    mlp: xunity.Executable, loaded: xunity.Executable
) -> None:
    x = _example_input(5)
    y = np.full((5, 4), np.nan, np.float32)
    loaded["main"].call_packed(x, y)
    np.testing.assert_array_equal(y, mlp["main"](x))


def test_missing_compiler_names_what_was_tried(
    mlp: xunity.Executable, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory
    monkeypatch.delenv("CC", raising=False)
    with pytest.raises(
        ExportError, match=r"none was found: tried cc, gcc, clang on PATH"
    ):
        mlp.export_library(tmp_path / "mlp.so")
    assert not (tmp_path / "mlp.so").exists()


def test_missing_explicit_compiler_is_named(
    mlp: xunity.Executable, tmp_path: Path
) -> None:
    with pytest.raises(ExportError, match=r"tried no-such-cc-xunity on PATH"):
        export_library(mlp, tmp_path / "mlp.so", compiler="no-such-cc-xunity")


def test_cc_environment_variable_is_tried_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CC", "true")
    assert find_c_compiler() == shutil.which("true")


def test_failed_link_reports_the_command(
    mlp: xunity.Executable, tmp_path: Path
) -> None:
    with pytest.raises(ExportError, match=r"linking .*mlp\.so failed: .*false -shared"):
        export_library(mlp, tmp_path / "mlp.so", compiler="false")
    assert list(tmp_path.iterdir()) == []


def test_loaded_module_cannot_be_exported_again(
    loaded: xunity.Executable, tmp_path: Path
) -> None:
    with pytest.raises(ExportError, match="a loaded library has no LLVM IR"):
        loaded.export_library(tmp_path / "again.so")


@needs_cc
def test_loading_a_foreign_library_fails_clearly(tmp_path: Path) -> None:
    source = tmp_path / "foreign.c"
    source.write_text("int answer(void) { return 42; }\n")
    path = tmp_path / "foreign.so"
    subprocess.run(
        [find_c_compiler(), "-shared", "-fPIC", "-o", path, source], check=True
    )
    with pytest.raises(
        ExportError, match=r"is not an xunity library \(no XUModuleMetadata\)"
    ):
        xunity.load_module(path)


def test_loading_a_missing_file_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=r"cannot load .*missing\.so"):
        xunity.load_module(tmp_path / "missing.so")


# ------------------------------------------------------------ C host
@needs_cc
def test_c_host_runs_the_model(library: Path, tmp_path: Path) -> None:
    binary = tmp_path / "run_model"
    subprocess.run(
        [
            find_c_compiler(),
            "-std=c11",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-I",
            INCLUDE_DIR,
            "-o",
            binary,
            EXAMPLE / "run_model.c",
            "-ldl",
        ],
        check=True,
    )
    n = 3
    done = subprocess.run(
        [binary, library, str(n)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "XUNITY_NUM_THREADS": "2"},
    )
    lines = done.stdout.splitlines()
    assert lines[0].startswith("metadata: ")
    assert json.loads(lines[0].removeprefix("metadata: "))["format"] == "xunity.module"
    rows = [line.split(":")[1].split() for line in lines if line.startswith("y ")]
    y = np.array(rows, dtype=np.float64)
    np.testing.assert_allclose(y, _reference(_example_input(n)), rtol=1e-5, atol=1e-5)
    assert "main_out matches: yes" in lines
    assert lines[-1] == (
        "wrong call: -1: main: argument 0 (x): expected shape [n, 16] where n = 3, got [3, 15]"
    )


# ------------------------------------------------------------ tvm-ffi
def test_tvm_ffi_calls_the_exported_library(library: Path) -> None:
    tvm_ffi = pytest.importorskip("tvm_ffi")
    main = tvm_ffi.load_module(library)["main"]
    x = np.random.default_rng(5).standard_normal((7, 16)).astype(np.float32)
    y = main(tvm_ffi.from_dlpack(x))
    assert isinstance(y, tvm_ffi.Tensor) and tuple(y.shape) == (7, 4)
    np.testing.assert_allclose(np.from_dlpack(y), _reference(x), rtol=1e-5, atol=1e-5)


def test_tvm_ffi_tensor_outlives_its_views(library: Path) -> None:
    tvm_ffi = pytest.importorskip("tvm_ffi")
    main = tvm_ffi.load_module(library)["main"]
    x = _example_input(3)
    view = np.from_dlpack(main(tvm_ffi.from_dlpack(x)))  # the Tensor itself is gone
    again = np.from_dlpack(main(tvm_ffi.from_dlpack(x)))
    np.testing.assert_array_equal(view, again)
    np.testing.assert_allclose(view, _reference(x), rtol=1e-5, atol=1e-5)


def test_tvm_ffi_calls_the_destination_passing_entry(library: Path) -> None:
    tvm_ffi = pytest.importorskip("tvm_ffi")
    main_out = tvm_ffi.load_module(library)["main_out"]
    x = _example_input(4)
    y = np.zeros((4, 4), np.float32)
    assert main_out(tvm_ffi.from_dlpack(x), tvm_ffi.from_dlpack(y)) is None
    np.testing.assert_allclose(y, _reference(x), rtol=1e-5, atol=1e-5)


def test_tvm_ffi_raises_our_message(library: Path) -> None:
    tvm_ffi = pytest.importorskip("tvm_ffi")
    main = tvm_ffi.load_module(library)["main"]
    x, y = np.zeros((3, 15), np.float32), np.zeros((3, 4), np.float32)
    with pytest.raises(ValueError, match=WRONG_SHAPE[:-1]):
        main(tvm_ffi.from_dlpack(x))
    with pytest.raises(ValueError, match=r"main: expected 1 arguments, got 2"):
        main(tvm_ffi.from_dlpack(y), tvm_ffi.from_dlpack(y))


_LOAD_ORDER_SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    import xunity
    path = sys.argv[2]
    if sys.argv[1] == "xunity-first":
        xunity.load_module(path)  # dlopened before libtvm_ffi exists
    import tvm_ffi
    main = tvm_ffi.load_module(path)["main"]
    x = np.zeros((3, 15), np.float32)
    try:
        main(tvm_ffi.from_dlpack(x))
    except ValueError as error:
        print(error)
    """
)


@pytest.mark.parametrize("order", ["xunity-first", "tvm-ffi-first"])
def test_tvm_ffi_raises_whichever_loaded_the_library_first(
    library: Path, order: str
) -> None:
    pytest.importorskip("tvm_ffi")
    done = subprocess.run(
        [sys.executable, "-c", _LOAD_ORDER_SCRIPT, order, str(library)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith(
        "main: argument 0 (x): expected shape [n, 16] where n = 3, got [3, 15]"
    )


# ------------------------------------------------------------ JIT and tvm-ffi
_JIT_ERROR_SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    if sys.argv[1] == "with":
        import tvm_ffi  # loads libtvm_ffi with global symbols
    import xunity
    exe = xunity.compile('''
    func.func @main(%x: !graph.tensor<[n], f32>) -> !graph.tensor<[n], f32> {
      %0 = graph.relu %x : !graph.tensor<[n], f32>
      func.return %0 : !graph.tensor<[n], f32>
    }''')
    assert ("tvm_ffi" in sys.modules) == (sys.argv[1] == "with")
    assert exe["main"](np.array([-1.0, 2.0], np.float32)).tolist() == [0.0, 2.0]
    try:
        exe["main"](np.zeros(2, np.float64))
    except xunity.XunityError as error:
        print(error)
    """
)


@pytest.mark.parametrize("tvm_ffi_loaded", ["with", "without"])
def test_jit_links_and_reports_errors_with_and_without_tvm_ffi(
    tvm_ffi_loaded: str,
) -> None:
    if tvm_ffi_loaded == "with":
        pytest.importorskip("tvm_ffi")
    done = subprocess.run(
        [sys.executable, "-c", _JIT_ERROR_SCRIPT, tvm_ffi_loaded],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == (
        "main: argument 0 (x): expected dtype float32, got DLPack code 2 bits 64 lanes 1"
    )
