"""Benchmarks (not tests): ``python -m bench edi --mb 50 --json``, ``python -m bench engine``.

Figures are reported as ratios against a baseline measured in the same process, because the
machines this runs on are shared and noisy.
"""
