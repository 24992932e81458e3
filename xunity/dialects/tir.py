"""The tir dialect (being written)."""

from xdsl.ir import Dialect

Tir = Dialect("tir", [], [])
