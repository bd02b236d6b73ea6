"""Benchmarks: figures, not tests. Run ``python -m bench.board --help``."""
