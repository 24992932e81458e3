"""LLVM back end: xDSL's llvm dialect -> LLVM IR -> host machine code (llvmlite)."""
