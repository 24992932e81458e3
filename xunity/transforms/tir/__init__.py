"""Passes over tir kernels: kernel merges, schedules (given as traces or by
the default rules of xunity/strategies/) and the conversion to the cpu stage."""
