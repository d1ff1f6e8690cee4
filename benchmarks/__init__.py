"""Benchmarks: scripts that print measured figures and ratios (not timed tests)."""
