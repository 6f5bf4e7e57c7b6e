"""Benchmarks of ``lmstudio`` next to a raw ``websockets`` client and the official SDK.

Run them with ``make bench`` or ``python -m benchmarks`` (see ``README.md`` here).
"""
