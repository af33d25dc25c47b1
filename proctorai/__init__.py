"""The composition root: the only package that imports both services.

The ``proctorai`` command (:mod:`proctorai.cli`: ``up``, ``demo``, ``bench``), the stack
supervisor, the LiveKit configuration, the demo with its media, the simulated candidate
and proctor, and the live and API benchmarks. docs/architecture.md draws the layers.
"""
