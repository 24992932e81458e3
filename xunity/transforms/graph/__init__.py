"""Passes over graph-dialect functions: shape specialisation, simplification,
weight prepacking, legalization to tir kernels, fusion decisions and the
conversion of graph functions to cpu packed functions."""
