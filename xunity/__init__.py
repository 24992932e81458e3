"""xunity: an ML compiler framework on xDSL in the spirit of Apache TVM Unity."""

__version__ = "0.1.0"
