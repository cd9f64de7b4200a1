"""The test runner (`lakehouse test`): ruff, sqlfluff lint, the documentation site built
strictly, one end-to-end dbt build on a small generated data set, then pytest. Two tiers:

- the full suite (the README's test command, CI): every step, every pytest test;
- `--fast`, the inner loop (under 5 minutes here): the same lint and end-to-end build (which
  runs dbt's unit tests and data tests), and the pytest tests not marked `slow` (the marker is
  declared in pyproject.toml).

The full suite runs on the default target (`dev`, a DuckDB file), then the end-to-end proofs
(the tests marked `proof` in `LAKE_PROOFS`: silver equals the generator's truth, gold equals
TPC-H's answers) again on the `lake` target (a DuckLake); `test_lake.py` tests the lake's own
commands in the first pass.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from lakehouse import log as log_line
from lakehouse.config import PROJECT_DIR, Settings
from lakehouse.dbt import Dbt, DbtError
from lakehouse.errors import PipelineError

SQL_DIRS = ("models", "tests", "analyses", "snapshots")
LAKE_PROOFS = ("tests/python/test_silver.py", "tests/python/test_gold.py")


def run_tests(pytest_args: Sequence[str] = (), fast: bool = False,
              log: Callable[[str], None] = log_line) -> int:
    """Run the suite; stops at the first failing step. Returns the exit status."""
    from lakehouse.build.pipeline import run_pipeline
    from lakehouse.sources.delivery import generate_if_needed
    from lakehouse.sources.generator import deliver

    bin_dir = Path(sys.executable).parent
    lint_dirs = [d for d in SQL_DIRS if any((PROJECT_DIR / d).rglob("*.sql"))]
    with tempfile.TemporaryDirectory(prefix="lakehouse-test-") as tmp:
        # the linter's dbt templater compiles the project: compiling reads no landing file, but
        # it opens a warehouse, and must not wait on (or lock out) a build holding the user's
        scratch = Dbt.scratch(Path(tmp) / "lint", Path(tmp) / "lint-landing",
                              Path(tmp) / "lint.duckdb")
        steps: list[tuple[str, list[str]]] = [
            ("ruff", [str(bin_dir / "ruff"), "check", "src", "scripts", "tests", "models"]),
            ("sqlfluff lint", [str(bin_dir / "sqlfluff"), "lint", *lint_dirs]),
            # the documentation site (docs/, mkdocs.yml): no broken link or anchor, no page
            # left out of the navigation
            ("mkdocs build --strict", [str(bin_dir / "mkdocs"), "build", "--strict", "--quiet",
                                       "--site-dir", str(Path(tmp) / "site")]),
        ]
        # (Material for MkDocs prints an end-of-life banner unless told not to)
        environment = {**scratch.environment, "NO_MKDOCS_2_WARNING": "1"}
        for name, command in steps:
            log(f"test step: {name}")
            if subprocess.call(command, cwd=PROJECT_DIR, env=environment) != 0:
                log(f"test step failed: {name}")
                return 1
        log("test step: dbt build on a small data set (sf=0.01, 3 days)")
        settings = Settings(db=Path(tmp) / "warehouse.duckdb", landing=Path(tmp) / "landing",
                            generated=Path(tmp) / "generated")
        generate_if_needed(settings.generated, 0.01, 3, 42, log=log)
        deliver(settings.generated, settings.landing)
        saved = dict(os.environ)
        try:
            run_pipeline(settings, docs=False, log=log)
        except (PipelineError, DbtError) as error:
            log(f"test step failed: dbt build: {error}")
            return 1
        finally:
            os.environ.clear()
            os.environ.update(saved)
    tier = ["-m", "not slow"] if fast else []
    # one pytest worker per core (pytest-xdist), a test file per worker: a file's module
    # fixtures (its warehouses) are built once; `-- -n 0` runs in one process
    workers = ["-n", "auto", "--dist", "loadfile"]
    log(f"test step: pytest{' (fast tier: not slow)' if fast else ''}, a worker per core")
    status = subprocess.call([str(bin_dir / "pytest"), *workers, *tier, *pytest_args],
                             cwd=PROJECT_DIR)
    if status != 0 or fast or pytest_args:  # the lake pass belongs to the whole suite
        return status
    log("test step: the end-to-end proofs again on the lake target (LAKEHOUSE_TARGET=lake)")
    # by warehouse rather than by file (the tests mark their module warehouses with
    # xdist_group): the silver proofs' two warehouses build on both workers at once
    return subprocess.call([str(bin_dir / "pytest"), "-n", "auto", "--dist", "loadgroup",
                            "-m", "proof", *LAKE_PROOFS],
                           cwd=PROJECT_DIR, env={**os.environ, "LAKEHOUSE_TARGET": "lake"})


def cmd_test(args: argparse.Namespace) -> int:
    """The test suite (or its fast tier); stops at the first failing step."""
    return run_tests(args.pytest_args, fast=args.fast)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("test", help="the full test suite (ruff, sqlfluff, dbt build, pytest)",
                       description="Run ruff, sqlfluff lint, dbt build on a small generated "
                       "data set, then pytest (extra arguments go to pytest).")
    p.add_argument("--fast", action="store_true",
                   help="the inner-loop tier (under 5 minutes): lint, the end-to-end build, "
                        "and the pytest tests not marked slow")
    p.add_argument("pytest_args", nargs="*",
                   help="arguments passed to pytest, after `--` (e.g. -- -k bronze -x)")
    p.set_defaults(func=cmd_test)
