"""Running compiled code: DLPack tensors, packed-function calls, executables."""
