"""Command line entry point: ``python -m proctoring.bench <benchmark> [--json]``."""

from __future__ import annotations

import argparse
import importlib
import sys

BENCHMARKS = ("faces", "voices", "frames", "sequences", "calibrate")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="proctorai bench",
        description="Measure the accuracy and speed of the proctoring engine.",
    )
    subparsers = parser.add_subparsers(dest="benchmark", required=True)
    for name in BENCHMARKS:
        module = importlib.import_module(f"proctoring.bench.{name}")
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
