"""A throw-away warehouse for end-to-end tests: its own landing zone and warehouse (a DuckDB
file, or a DuckLake when LAKEHOUSE_TARGET=lake), with dbt run as a child process against the
real project (as a user would run it)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from lakehouse.config import PROJECT_DIR
from lakehouse.dbt import Dbt, DbtResult
from lakehouse.launcher import Launcher
from lakehouse.sources.generator import deliver
from lakehouse.warehouse import connect, target

# a directory the session's workers share (set by conftest.py): dbt's partial parse of the
# project, made by the first scratch warehouse that parses it, given to every new one
PARSE_SEEDS: Path | None = None
# dbt's commands, forked from a process that imported dbt once (stopped by conftest.py)
LAUNCHER = Launcher()


class Warehouse:
    def __init__(self, root: Path, generated: Path | None = None,
                 project_dir: Path = PROJECT_DIR, target_name: str | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.root = root
        self.extra_env = env or {}  # variables of this warehouse's commands (LAKEHOUSE_THREADS)
        self.project_dir = project_dir
        self.generated = generated
        self.landing = root / "landing"
        self.target = target_name or target()
        self.db = root / ("warehouse.ducklake" if self.target == "lake" else "warehouse.duckdb")
        self.external_db = (generated or root) / "external" / "crm.sqlite"
        self.landing.mkdir(parents=True, exist_ok=True)

    @property
    def runner(self) -> Dbt:
        runner = Dbt.scratch(self.root, self.landing, self.db, self.external_db,
                             self.project_dir, LAKEHOUSE_TARGET=self.target, **self.extra_env)
        return dataclasses.replace(runner, launch=LAUNCHER.measure)

    @property
    def env(self) -> dict[str, str]:
        return self.runner.environment

    def command(self, *args: str) -> list[str]:
        return self.runner.command(*args)

    def _parse_seed(self) -> Path | None:
        """Where the partial parse of warehouses like this one is shared: same project, target
        and profile (`Dbt.scratch` gives paths under the warehouse relatively)."""
        if PARSE_SEEDS is None or self.runner.work is None or self.target != "dev":
            return None
        external = (self.external_db.relative_to(self.root)
                    if self.external_db.is_relative_to(self.root) else self.external_db)
        key = hashlib.sha256(f"{self.project_dir}\0{external}".encode()).hexdigest()[:16]
        return PARSE_SEEDS / f"{key}.msgpack"

    def dbt(self, *args: str, check: bool = True) -> DbtResult:
        """dbt as a user runs it. A new warehouse starts from the session's partial parse
        (dbt checks that it holds for this project and profile, and parses again if not):
        the full parse, a few seconds of every first build, is made once."""
        seed, parsed = self._parse_seed(), self.root / "target" / "partial_parse.msgpack"
        if seed is not None and seed.exists() and not parsed.exists():
            parsed.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(seed, parsed)
        result = self.runner.run(*args, check=False, capture=True)
        if seed is not None and not seed.exists() and parsed.exists() and "--vars" not in args:
            partial = seed.with_suffix(f".{os.getpid()}")
            shutil.copy(parsed, partial)
            partial.replace(seed)
        if check and not result.ok:
            raise AssertionError(f"dbt {' '.join(args)} failed:\n{(result.output or '')[-5000:]}")
        return result

    def deliver(self, day: int | None = None) -> list[str]:
        assert self.generated is not None
        return deliver(self.generated, self.landing, day)

    def sql(self, query: str) -> list[tuple[Any, ...]]:
        con = connect(self.db, read_only=True)
        try:
            return con.execute(query).fetchall()
        finally:
            con.close()

    def one(self, query: str) -> Any:
        return self.sql(query)[0][0]



LAKEHOUSE = Path(sys.executable).parent / "lakehouse"


class Served(Warehouse):
    """A warehouse built as a user builds it, by `lakehouse run` (a child process), which
    publishes gold to its own serving directory (LAKEHOUSE_SERVING)."""

    @property
    def runner(self) -> Dbt:
        # dbt as `lakehouse run` runs it (absolute paths), so that the two share a parse
        return dataclasses.replace(super().runner, work=None)

    @property
    def serving(self) -> Path:
        return self.root / "serving"

    @property
    def env(self) -> dict[str, str]:
        return {**super().env, "LAKEHOUSE_SERVING": str(self.serving)}

    @classmethod
    def copy(cls, source: Path, root: Path, generated: Path) -> Served:
        """A copy of the warehouse at `source` (landing zone, warehouse file, serving copy with
        its symlink, dbt's artifacts) at `root`, to change without changing the original."""
        shutil.copytree(source, root, symlinks=True, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(".made"))
        return cls(root, generated)

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([str(LAKEHOUSE), "run", "--no-docs", *args], cwd=PROJECT_DIR,
                                env=self.env, capture_output=True, text=True)
        if check and result.returncode != 0:
            raise AssertionError(result.stdout[-4000:] + result.stderr[-2000:])
        return result

    def served(self, query: str) -> list[tuple]:
        """Query the serving copy from a new process, as a BI tool would (within one process
        DuckDB would hand back an instance already open on the previous file)."""
        code = ("import duckdb, json, sys; con = duckdb.connect(sys.argv[1], read_only=True); "
                "print(json.dumps(con.execute(sys.argv[2]).fetchall(), default=str))")
        out = subprocess.run([sys.executable, "-c", code, str(self.serving / "lakehouse.duckdb"),
                              query], capture_output=True, text=True, check=True).stdout
        return [tuple(row) for row in json.loads(out)]


def project_copy(dest: Path, columns: dict[str, list[dict[str, Any]]],
                 meta: dict[str, dict[str, Any]] | None = None) -> Path:
    """A copy of the dbt project whose landing feeds declare more, as a user does to onboard a
    source of their own: `columns` maps a landing source table (e.g. `cdc_orders`) to column
    entries for `_bronze__sources.yml` (name, data_type, meta), `meta` to feed settings (e.g.
    `sequence_by`)."""
    for name in ("models", "macros", "seeds", "snapshots", "analyses", "tests/silver",
                 "tests/gold"):
        shutil.copytree(PROJECT_DIR / name, dest / name)
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(PROJECT_DIR / name, dest / name)
    sources_file = dest / "models" / "bronze" / "_bronze__sources.yml"
    sources = yaml.safe_load(sources_file.read_text())
    landing = next(s for s in sources["sources"] if s["name"] == "landing")
    for table in landing["tables"]:
        table["columns"].extend(columns.get(table["name"], []))
        table["config"]["meta"].update((meta or {}).get(table["name"], {}))
    sources_file.write_text(yaml.safe_dump(sources, sort_keys=False))
    return dest
