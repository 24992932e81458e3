"""The cpu dialect (being written)."""

from xdsl.ir import Dialect

Cpu = Dialect("cpu", [], [])
