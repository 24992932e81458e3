"""Frontends: bring models and their weights into xunity.

`xunity.frontends.weights` reads weight files (safetensors, GGUF) into numpy
arrays; the model importers build graph-dialect functions that take them.
"""
