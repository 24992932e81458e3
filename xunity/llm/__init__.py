"""Serving decoder language models: tokenizer, sampling, KV cache, generation.

Built on `xunity.models` (the networks) and the compiler; the `xunity
generate` command is a thin layer over this package.
"""
