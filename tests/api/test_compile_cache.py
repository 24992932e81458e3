"""The whole-compile cache (xunity/compile_cache.py): a program compiled before
is not lowered again, and anything the result depends on changes the key."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import xunity
import xunity.api

PROGRAM = """
func.func @main(%x: !graph.tensor<[n, 8], f32>) -> !graph.tensor<[n, 8], f32> {
  %w = graph.weight "w" : !graph.tensor<[8, 8], f32>
  %y = graph.matmul %x, %w : !graph.tensor<[n, 8], f32>, !graph.tensor<[8, 8], f32> -> !graph.tensor<[n, 8], f32>
  func.return %y : !graph.tensor<[n, 8], f32>
}
"""


def _weights(seed: int) -> dict[str, np.ndarray]:
    return {"w": np.random.default_rng(seed).standard_normal((8, 8), np.float32)}


def _forbid_lowering(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object) -> None:
        raise AssertionError("the program was lowered again")

    monkeypatch.setattr(xunity.api, "_lower", fail)


def test_second_compile_skips_lowering(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    x = np.arange(24, dtype=np.float32).reshape(3, 8)
    first = xunity.compile(PROGRAM, params=_weights(0), cache_dir=tmp_path)
    assert list(tmp_path.glob("*.program.json"))
    _forbid_lowering(monkeypatch)
    again = xunity.compile(PROGRAM, params=_weights(0), cache_dir=tmp_path)
    np.testing.assert_array_equal(again["main"](x), first["main"](x))
    assert again["main"].signature == first["main"].signature
    assert again.function_names == first.function_names


@pytest.mark.parametrize(
    "change",
    [
        {"params": _weights(1)},
        {"params": _weights(0), "profile": True},
        {"params": _weights(0), "program": PROGRAM.replace("[n, 8]", "[m, 8]")},
    ],
    ids=["weights", "profile", "text"],
)
def test_what_the_result_depends_on_changes_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: dict[str, object]
) -> None:
    xunity.compile(PROGRAM, params=_weights(0), cache_dir=tmp_path)
    _forbid_lowering(monkeypatch)
    program = change.pop("program", PROGRAM)
    with pytest.raises(AssertionError, match="lowered again"):
        xunity.compile(program, cache_dir=tmp_path, **change)  # type: ignore[arg-type]


def test_a_damaged_entry_is_a_miss(tmp_path: Path) -> None:
    xunity.compile(PROGRAM, params=_weights(0), cache_dir=tmp_path)
    (entry,) = tmp_path.glob("*.program.json")
    entry.write_text("{ truncated")
    exe = xunity.compile(PROGRAM, params=_weights(0), cache_dir=tmp_path)
    x = np.ones((2, 8), np.float32)
    np.testing.assert_allclose(exe["main"](x), x @ _weights(0)["w"], rtol=1e-5)
