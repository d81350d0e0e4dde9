"""Benchmarks of Partnership Health against the baselines they name: ``python -m benchmarks``.

See ``benchmarks/README.md`` for what is measured, how, and the latest results.
"""
