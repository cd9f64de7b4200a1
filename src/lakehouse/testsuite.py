"""The test runner (`lakehouse test`): ruff, sqlfluff lint, the documentation site built
strictly, then pytest. The tiers are folders of tests/:

- `unit`: no dbt build (the generator, configuration errors, settings), seconds;
- `integration`: a few dbt runs on a small landing zone (bronze, the Debezium decoding, the
  dbt seam);
- `e2e`: the proofs and scenarios (silver equals the generator's truth, gold equals TPC-H's
  answers, on DuckDB, the lake and Spark; PostgreSQL capture; kill -9; poison files; serving,
  orchestration, machine learning, the benchmark smoke).

The full suite (the README's test command, CI) runs the three tiers in one pytest session, a
worker per core and one more. `--fast`, the inner loop (under 4 minutes here), runs the lint
steps, one end-to-end `lakehouse run` of a small generated data set (its data tests) and dbt's
unit tests on what it built, then the unit and integration tiers. `--spark-mode MODE` runs the
Spark proofs alone on one of Spark's modes (`cluster`: on a cluster, on demand); `--ml-drift`
the model's loop on a drifting world (tests/e2e/test_ml_drift.py, on demand: longer than the
suite's budget allows).
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
FAST_TIERS = ("tests/unit", "tests/integration")
SPARK_PROOFS = "tests/e2e/test_spark.py"
ML_DRIFT = "tests/e2e/test_ml_drift.py"


def run_spark_proofs(mode: str, pytest_args: Sequence[str] = (),
                     log: Callable[[str], None] = log_line) -> int:
    """The Spark proofs (tests/e2e/test_spark.py) on one of Spark's modes: `session` (the
    `spark` target, as the full suite runs them) or `cluster` (the `spark_cluster` target on
    a cluster the tests start and stop), on demand."""
    log(f"test step: the Spark proofs on the {mode} mode")
    return subprocess.call([str(Path(sys.executable).parent / "pytest"), SPARK_PROOFS,
                            *pytest_args], cwd=PROJECT_DIR,
                           env={**os.environ, "LAKEHOUSE_SPARK_MODE": mode})


def run_ml_drift(pytest_args: Sequence[str] = (),
                 log: Callable[[str], None] = log_line) -> int:
    """The model's loop on a drifting world (tests/e2e/test_ml_drift.py), which the suite
    skips: alert, retraining, challenger, promotion on the labels, over four simulated weeks."""
    log("test step: the model's loop on a drifting world")
    return subprocess.call([str(Path(sys.executable).parent / "pytest"), ML_DRIFT,
                            *pytest_args], cwd=PROJECT_DIR,
                           env={**os.environ, "LAKEHOUSE_ML_DRIFT": "1"})


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
        if fast:
            log("test step: lakehouse run on a small data set (sf=0.01, 3 days)")
            settings = Settings(db=Path(tmp) / "warehouse.duckdb", landing=Path(tmp) / "landing",
                                generated=Path(tmp) / "generated")
            generate_if_needed(settings.generated, 0.01, 3, 42, log=log)
            deliver(settings.generated, settings.landing)
            saved = dict(os.environ)
            try:
                run_pipeline(settings, docs=False, log=log)
                # dbt's unit tests, which a production run leaves out (they test the SQL on
                # fixed inputs): once, on the warehouse the run built
                log("test step: dbt's unit tests")
                Dbt().run("test", "--select", "test_type:unit")
            except (PipelineError, DbtError) as error:
                log(f"test step failed: {error}")
                return 1
            finally:
                os.environ.clear()
                os.environ.update(saved)
    # pytest-xdist, a test file per worker (a file's module fixtures, its warehouses, are built
    # once): a worker per core and one more, as the tests spend a quarter of their time waiting
    # (on a server, a JVM, a killed run, the disk) rather than computing; `-- -n 0` runs in
    # one process. The files start in the order tests/conftest.py gives them (the longest
    # first), not in pytest-xdist's default order, by number of tests: that started the
    # 12-test Spark file, the longest, last, and the suite ended minutes after the other files
    workers = ["-n", str((os.cpu_count() or 1) + 1), "--dist", "loadfile",
               "--no-loadscope-reorder"]
    tiers = list(FAST_TIERS) if fast else []
    log(f"test step: pytest {' '.join(tiers) or 'tests (every tier)'}, {workers[1]} workers")
    return subprocess.call([str(bin_dir / "pytest"), *workers, *tiers, *pytest_args],
                           cwd=PROJECT_DIR)


def cmd_test(args: argparse.Namespace) -> int:
    """The test suite (or its fast tier, or the Spark proofs on one mode); stops at the first
    failing step."""
    if args.spark_mode:
        return run_spark_proofs(args.spark_mode, args.pytest_args)
    if args.ml_drift:
        return run_ml_drift(args.pytest_args)
    return run_tests(args.pytest_args, fast=args.fast)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("test", help="the full test suite (ruff, sqlfluff, mkdocs, pytest)",
                       description="Run ruff, sqlfluff lint, the docs site strictly, then "
                       "pytest over tests/unit, tests/integration and tests/e2e (extra "
                       "arguments go to pytest).")
    p.add_argument("--fast", action="store_true",
                   help="the inner loop (under 4 minutes): lint, one lakehouse run on a small "
                        "data set, and the unit and integration tiers")
    p.add_argument("--spark-mode", choices=("session", "cluster"),
                   help="only the Spark proofs, on this mode: the full suite runs them on the "
                        "session; `cluster` starts a Spark cluster (master, two workers, "
                        "Thrift server) for them, the spark_cluster target")
    p.add_argument("--ml-drift", action="store_true",
                   help="only the model's loop on a drifting world (on demand, some 10 "
                        "minutes): a slower ship mode pages, the retrained model is promoted "
                        "on the labels")
    p.add_argument("pytest_args", nargs="*",
                   help="arguments passed to pytest, after `--` (e.g. -- -k bronze -x)")
    p.set_defaults(func=cmd_test)
