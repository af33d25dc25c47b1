"""Accuracy and speed benchmarks for the proctoring engine.

Run as ``python -m proctoring.bench {faces,voices,frames} ...``; each
sub-command lives in its own module exposing ``register(subparsers)``.
"""
