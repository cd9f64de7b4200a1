"""`lakehouse`: the one command-line entry point, `lakehouse <subcommand> --help` for each.

Each subsystem declares its subcommands beside their handlers (`register`): the sources
(`sources/commands.py`), the build (`build/commands.py`), real-time (`stream/commands.py`:
stream, produce, broker), operations (`ops/commands.py`: alerts, incidents), the lake's table
versions (`lake/commands.py`), the apps (`apps/commands.py`), machine learning
(`ml/commands.py`), the benchmarks (`bench/commands.py`), the DuckDB extensions and the test
suite. `main` is the one place an error becomes its one-line message and exit status
(`errors.LakehouseError`).
"""

from __future__ import annotations

import argparse
import sys

from lakehouse import extensions, testsuite
from lakehouse.apps import commands as apps
from lakehouse.bench import commands as bench
from lakehouse.build import commands as build
from lakehouse.errors import LakehouseError
from lakehouse.lake import commands as lake
from lakehouse.ml import commands as ml
from lakehouse.ops import commands as ops
from lakehouse.sources import commands as sources
from lakehouse.stream import commands as stream

SUBSYSTEMS = (extensions, sources, build, stream, ops, ml, apps, lake, bench, testsuite)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lakehouse",
        description="Local lakehouse: generate source data, deliver it, build bronze/silver/gold.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="<subcommand>")
    for subsystem in SUBSYSTEMS:
        subsystem.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except LakehouseError as error:
        print(f"lakehouse: {error}", file=sys.stderr)
        return error.exit_status


if __name__ == "__main__":
    raise SystemExit(main())
