"""Serving gold: published atomically after successful runs only, PII masked, readers never
blocked and never see a mix; every run recorded in ops.run_history."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest
from lakehouse.config import PROJECT_DIR
from warehouse import Warehouse

LAKEHOUSE = Path(sys.executable).parent / "lakehouse"


class Served(Warehouse):
    @property
    def serving(self) -> Path:
        return self.root / "serving"

    @property
    def env(self) -> dict[str, str]:
        return {**super().env, "LAKEHOUSE_SERVING": str(self.serving)}

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


@pytest.fixture
def wh(tmp_path: Path, generated: Path) -> Served:
    return Served(tmp_path, generated)


def test_published_copy_holds_gold_only_with_pii_masked(wh: Served) -> None:
    wh.deliver(1)
    wh.run()
    schemas = {r[0] for r in wh.served("select distinct schema_name from duckdb_tables()")}
    assert schemas == {"gold", "governance", "ops"}
    gold = {r[0] for r in wh.sql("select table_name from duckdb_tables() where schema_name = 'gold'")}
    served = {r[0] for r in wh.served("select table_name from duckdb_tables() "
                                      "where schema_name = 'gold'")}
    assert served == gold
    for table in gold:
        count = wh.one(f"select count(*) from gold.{table}")
        assert wh.served(f"select count(*) from gold.{table}") == [(count,)]
        assert duckdb.sql(f"select count(*) from '{wh.serving}/parquet/{table}.parquet'"
                          ).fetchall() == [(count,)]
    # every PII-tagged column of the project is masked, by its policy, nowhere in clear
    manifest = json.loads((wh.root / "target" / "manifest.json").read_text())
    tagged = {(n["name"], c) for n in manifest["nodes"].values()
              if n["resource_type"] == "model" and n["schema"] == "gold"
              for c, col in n["columns"].items() if col.get("config", {}).get("meta", {}).get("pii")}
    assert {(t, c) for t, c, _ in wh.served("select * from governance.column_masks")} == tagged
    assert ("dim_customer", "customer_name") in tagged
    for table, column in tagged:
        clear = {r[0] for r in wh.sql(f"select {column} from gold.{table} where {column} is not null")}
        masked = {r[0] for r in wh.served(f"select {column} from gold.{table}")}
        parquet = {r[0] for r in duckdb.sql(
            f"select {column} from '{wh.serving}/parquet/{table}.parquet'").fetchall()}
        assert clear and not clear & masked and not clear & parquet, (table, column)
    assert wh.served("select status, published from ops.run_history") == [("success", True)]


def test_failed_build_publishes_nothing_and_is_recorded(wh: Served) -> None:
    wh.deliver(1)
    wh.run()
    before = wh.served("select run_id from ops.published")
    lines = wh.served("select count(*) from gold.fct_order_line")
    wh.deliver(3)
    fail = json.dumps({"expectation_actions": {"order_lines.positive_quantity": "fail"}})
    result = wh.run("--vars", fail, check=False)
    assert result.returncode != 0
    assert "nothing published" in result.stdout
    assert wh.served("select run_id from ops.published") == before
    assert wh.served("select count(*) from gold.fct_order_line") == lines
    history = wh.sql("select status, published from ops.run_history order by started_at")
    assert history == [("success", True), ("failed", False)]


def test_readers_are_never_blocked_and_see_only_published_states(wh: Served) -> None:
    wh.deliver(1)
    wh.run()
    state = "select count(*) || '/' || sum(quantity) from "  # a published state's signature
    published = {wh.served(state + "gold.fct_order_line")[0][0]}
    log = wh.root / "reader.jsonl"
    reader = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import json, time, duckdb
        out = open({str(log)!r}, "w")
        end = time.time() + 600
        while time.time() < end:
            started = time.time()
            try:
                con = duckdb.connect({str(wh.serving / 'lakehouse.duckdb')!r}, read_only=True)
                db = con.execute({state!r} + "gold.fct_order_line").fetchone()[0]
                con.close()
                pq = duckdb.sql({state!r}
                                + "'{wh.serving}/parquet/fct_order_line.parquet'").fetchone()[0]
                out.write(json.dumps({{"db": db, "parquet": pq,
                                       "wait": time.time() - started}}) + "\\n")
            except Exception as e:
                out.write(json.dumps({{"error": repr(e)}}) + "\\n")
            out.flush()
            time.sleep(0.05)
    """)])
    holder = duckdb.connect(str(wh.serving / "lakehouse.duckdb"), read_only=True)
    try:
        for day in (3, 7):  # two full runs while the reader reads and the holder holds
            wh.deliver(day)
            wh.run()
            published.add(wh.served(state + "gold.fct_order_line")[0][0])
        assert holder.execute(state + "gold.fct_order_line").fetchone()[0] in published
    finally:
        reader.terminate()
        reader.wait()
        holder.close()
    reads = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(reads) > 20
    assert [r for r in reads if "error" in r] == []
    assert {r["db"] for r in reads} <= published and {r["parquet"] for r in reads} <= published
    assert max(r["wait"] for r in reads) < 1.0
    assert len(published) == 3
