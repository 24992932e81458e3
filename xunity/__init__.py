"""xunity: an ML compiler framework on xDSL in the spirit of Apache TVM Unity."""

from xunity.api import compile
from xunity.runtime.executable import Executable, XunityError

__all__ = ["Executable", "XunityError", "compile"]
__version__ = "0.1.0"
