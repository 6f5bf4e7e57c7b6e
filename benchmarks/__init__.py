"""Benchmarks of the ``lmstudio`` engine; run them with ``python -m benchmarks``."""
