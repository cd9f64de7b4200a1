"""The one seam between the Python around dbt and dbt: `Dbt(...).run(*args)`.

Every dbt command the project runs (the pipeline, the run history, the benchmarks, the tests)
goes through `Dbt`: it builds the command line against the project and its committed
profiles.yml, runs dbt as a child process with the given environment, measures it (wall time,
peak memory), reads the `run_results.json` that this invocation wrote, and raises `DbtError`
when dbt fails. A child process (rather than dbtRunner in-process) releases the DuckDB file
when dbt ends, so the caller can read the warehouse between builds, and a crash of dbt cannot
take the caller down.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lakehouse.config import PROJECT_DIR, default_tracking_uri
from lakehouse.errors import LakehouseError

DBT = Path(sys.executable).parent / "dbt"


@dataclass
class Measured:
    """A child process that ran to its end: exit code, wall seconds, peak resident memory,
    CPU seconds (user + system, its own and its reaped children's, as the kernel counts them)."""

    returncode: int
    seconds: float
    peak_rss_bytes: int
    output: str | None
    cpu_seconds: float = 0.0


def measure(command: list[str], env: Mapping[str, str] | None = None, cwd: Path = PROJECT_DIR,
            capture: bool = True) -> Measured:
    """Run a child process to its end, measured; its output is kept when `capture` (else it
    goes to this process's stdout)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as output:
        child = subprocess.Popen(command, cwd=cwd, env=env, text=True,
                                 **({"stdout": output, "stderr": subprocess.STDOUT}
                                    if capture else {}))
        # wait4 reaps this child alone and returns its own rusage (ru_maxrss in KiB)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        output.seek(0)
        text = output.read() if capture else None
    return Measured(child.returncode, seconds, usage.ru_maxrss * 1024, text,
                    usage.ru_utime + usage.ru_stime)


@dataclass
class DbtResult:
    """One dbt invocation: its arguments, exit code, wall seconds, the child's peak resident
    memory and CPU seconds, its output (when captured) and its run_results.json (None when dbt wrote none,
    e.g. a parse error or `dbt parse`)."""

    args: tuple[str, ...]
    returncode: int
    seconds: float
    peak_rss_bytes: int
    output: str | None = None
    run_results: dict[str, Any] | None = None
    cpu_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def invocation_id(self) -> str | None:
        return self.run_results["metadata"]["invocation_id"] if self.run_results else None

    @property
    def nodes(self) -> list[dict[str, Any]]:
        """dbt's per-node results (unique_id, status, execution_time, message, timing, ...)."""
        return self.run_results["results"] if self.run_results else []

    def failures(self) -> list[str]:
        """The nodes that failed, with dbt's message: models in error, tests that failed, and
        models dbt skipped because of an error (an ephemeral model they read failed to
        compile: status `skipped` with a message)."""
        return [f"{n['unique_id']}: {n.get('message') or n['status']}" for n in self.nodes
                if is_failure(n)]


def is_failure(node: Mapping[str, Any]) -> bool:
    """Whether a run_results.json node result is a failure (see DbtResult.failures)."""
    return node["status"] in ("error", "fail") or (
        node["status"] == "skipped" and bool(node.get("message")))


class DbtError(LakehouseError):
    """A dbt command that failed; `result` holds what it did (output, failing nodes)."""

    def __init__(self, result: DbtResult) -> None:
        self.result = result
        failed = result.failures()
        detail = f": {len(failed)} node(s) failed" if failed else ""
        super().__init__(f"dbt {' '.join(result.args)} failed (exit {result.returncode}){detail}")


@dataclass
class Dbt:
    """dbt against a project directory, with an environment (None: this process's), run by
    an executable (this environment's dbt; the databricks target has its own: databricks.py)."""

    project_dir: Path = PROJECT_DIR
    env: Mapping[str, str] | None = None
    executable: Path = DBT
    # a scratch warehouse's directory: dbt runs there, given the paths under it relatively
    work: Path | None = None
    # how a command runs to its end: a child process (the tests fork theirs from a process
    # that imported dbt once, and so does `lakehouse stream`: launcher.py)
    launch: Callable[[list[str], Mapping[str, str] | None, Path, bool], Measured] = measure

    @classmethod
    def scratch(cls, work: Path, landing: Path, db: Path, external_db: Path | None = None,
                project_dir: Path = PROJECT_DIR, **extra: str) -> Dbt:
        """dbt on a scratch warehouse: its landing zone and DuckDB file, target and log
        directories under `work` (so that runs do not share artifacts), and the attached
        external database (a missing file gives an empty bronze table). dbt runs in `work`,
        given the warehouse's paths under it relatively: two scratch warehouses then have the
        same profile, so that one's partial parse (target/partial_parse.msgpack) serves the
        other, which dbt rejects when any connection setting differs. (On the default target
        only: the lake's catalog records its data path, Spark's its warehouse directory.)"""
        env = {**os.environ, "LAKEHOUSE_LANDING": str(landing), "LAKEHOUSE_DB": str(db),
               "DBT_TARGET_PATH": str(work / "target"), "DBT_LOG_PATH": str(work / "logs"),
               "LAKEHOUSE_EXTERNAL_DB": str(external_db or work / "no-external-database.sqlite"),
               # its own MLflow store, where `lakehouse` puts it by default: beside the warehouse
               "MLFLOW_TRACKING_URI": default_tracking_uri(db),
               **extra}
        return cls(project_dir, env, work=work)

    @property
    def environment(self) -> dict[str, str]:
        return dict(os.environ if self.env is None else self.env)

    @property
    def target(self) -> Path:
        """dbt's target directory (artifacts), as dbt resolves it: DBT_TARGET_PATH, else the
        project's target/."""
        path = self.environment.get("DBT_TARGET_PATH")
        return Path(path) if path else self.project_dir / "target"

    def command(self, *args: str) -> list[str]:
        """The command line of one dbt command against the project's committed profiles.yml."""
        return [str(self.executable), *args, "--project-dir", str(self.project_dir),
                "--profiles-dir", str(self.project_dir)]

    def _child(self) -> tuple[dict[str, str], Path]:
        """The environment and working directory of a dbt child process (see `scratch`)."""
        env = self.environment
        if self.work is None or (env.get("LAKEHOUSE_TARGET") or "dev") != "dev":
            return env, self.project_dir
        self.work.mkdir(parents=True, exist_ok=True)
        for name in ("LAKEHOUSE_DB", "LAKEHOUSE_EXTERNAL_DB"):
            path = Path(env.get(name, ""))
            if path.is_absolute() and path.is_relative_to(self.work):
                env[name] = str(path.relative_to(self.work))
        return env, self.work

    def popen(self, *args: str, **kwargs: Any) -> subprocess.Popen[str]:
        """Start a dbt command and return at once (for tests that kill a build mid-way)."""
        env, cwd = self._child()
        return subprocess.Popen(self.command(*args), cwd=cwd, env=env, text=True, **kwargs)

    def run(self, *args: str, check: bool = True, capture: bool = False) -> DbtResult:
        """Run one dbt command to its end. With `capture`, its output is kept in the result
        (else it goes to this process's stdout). Raises DbtError if dbt fails and `check`."""
        results_file = self.target / "run_results.json"
        before = results_file.stat().st_mtime_ns if results_file.exists() else None
        env, cwd = self._child()
        child = self.launch(self.command(*args), env, cwd, capture)
        run_results = None
        if results_file.exists() and results_file.stat().st_mtime_ns != before:
            run_results = json.loads(results_file.read_text())
        result = DbtResult(tuple(args), child.returncode, child.seconds,
                           child.peak_rss_bytes, child.output, run_results, child.cpu_seconds)
        if check and not result.ok:
            raise DbtError(result)
        return result
