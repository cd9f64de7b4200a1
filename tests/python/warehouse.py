"""A throw-away warehouse for end-to-end tests: its own landing zone and DuckDB file, with dbt
run as a child process against the real project (as a user would run it)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import duckdb
from lakehouse.config import PROJECT_DIR
from lakehouse.dbt import DBT, dbt_env
from lakehouse.generator import deliver


class Warehouse:
    def __init__(self, root: Path, generated: Path | None = None) -> None:
        self.root = root
        self.generated = generated
        self.landing = root / "landing"
        self.db = root / "warehouse.duckdb"
        self.external_db = (generated or root) / "external" / "crm.sqlite"
        self.landing.mkdir(parents=True, exist_ok=True)

    @property
    def env(self) -> dict[str, str]:
        return dbt_env(self.root, self.landing, self.db, self.external_db)

    def command(self, *args: str) -> list[str]:
        return [str(DBT), *args, "--project-dir", str(PROJECT_DIR),
                "--profiles-dir", str(PROJECT_DIR)]

    def dbt(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(self.command(*args), cwd=PROJECT_DIR, env=self.env,
                                capture_output=True, text=True)
        if check and result.returncode != 0:
            raise AssertionError(f"dbt {' '.join(args)} failed:\n{result.stdout[-5000:]}")
        return result

    def deliver(self, day: int | None = None) -> list[str]:
        assert self.generated is not None
        return deliver(self.generated, self.landing, day)

    def sql(self, query: str) -> list[tuple[Any, ...]]:
        con = duckdb.connect(str(self.db), read_only=True)
        try:
            return con.execute(query).fetchall()
        finally:
            con.close()

    def one(self, query: str) -> Any:
        return self.sql(query)[0][0]
