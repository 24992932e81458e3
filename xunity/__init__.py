"""xunity: an ML compiler framework on xDSL in the spirit of Apache TVM Unity."""

from xunity.api import compile, kernel_with_block, kernels, legalize
from xunity.runtime.executable import Executable, XunityError
from xunity.runtime.library import load_module
from xunity.runtime.threads import get_num_threads, set_num_threads

__all__ = [
    "Executable",
    "XunityError",
    "compile",
    "get_num_threads",
    "kernel_with_block",
    "kernels",
    "legalize",
    "load_module",
    "set_num_threads",
]
__version__ = "0.1.0"
