"""The `lake` target (a DuckLake: SQLite catalog, Parquet data files): Delta's table versions as
commands (history, time travel by version, restore, the change feed, vacuum, optimize), BI
reading the lake while a run writes it, and a killed run leaving a consistent lake; and the
proofs where the lake differs from a DuckDB file (storage, the incremental strategies' writes):
TPC-H's answers on day 0, and after every day, silver equal to the generator's truth and gold
reconciled with it (the day-by-day and one-run proofs of every batching run on DuckDB, in
test_silver.py and test_gold.py). One lake, one scenario in the order of the tests (each leaves
it as the next expects)."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from oracles import ENTITIES, QUERIES, gold_reconciliation, report_mismatches, truth_differences
from warehouse import LAKEHOUSE, Served

from lakehouse.bench.pipeline import compare_gold
from lakehouse.config import PROJECT_DIR
from lakehouse.lake.versions import changes, table_history

# what BI reads, per published view: its rows and a checksum of their values
ANSWER_TABLES = ("fct_orders", "fct_order_line", "dim_customer", "mart_sales_daily")
ANSWER = " union all ".join(
    f"select '{t}', count(*), coalesce(sum(hash(t)), 0)::varchar from published.{t} as t"
    for t in ANSWER_TABLES)


class Lake(Served):
    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([str(LAKEHOUSE), *args], cwd=PROJECT_DIR, env=self.env,
                                capture_output=True, text=True, timeout=600)
        if check and result.returncode != 0:
            raise AssertionError(result.stdout[-3000:] + result.stderr[-3000:])
        return result

    def answer(self) -> list[tuple]:
        return sorted(self.sql(ANSWER))

    def table(self, name: str, version: int | None = None) -> list[tuple]:
        at = f" at (version => {version})" if version is not None else ""
        return self.sql(f"select * from {name}{at} order by all")

    def version(self) -> int:
        return self.one("select max(snapshot_id) from ducklake_snapshots('lakehouse')")


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory, generated: Path) -> Lake:
    lake = Lake(tmp_path_factory.mktemp("lake"), generated, target_name="lake")
    lake.deliver(0)
    lake.run()
    lake.first = {"version": lake.version(), "fct_orders": lake.table("gold.fct_orders"),
                  "answer": lake.answer(),
                  "tpch": {q: lake.sql(f"select * from gold.rpt_tpch_q{q:02d}") for q in QUERIES}}
    time.sleep(2)  # a gap between the two runs' versions, for vacuum
    lake.gap = time.time()
    time.sleep(1)
    lake.deliver(1)
    lake.run()
    lake.second = {"version": lake.version(), "fct_orders": lake.table("gold.fct_orders"),
                   "answer": lake.answer()}
    return lake


def history(lake: Lake, table: str) -> list[dict]:
    """`lakehouse history --table` as a user runs it (its JSON); where the command is not the
    subject, the tests call its function, `table_history`, in this process (a command costs two
    seconds, and the tests read histories a dozen times)."""
    return json.loads(lake.cli("history", "--table", table, "--json", "--limit", "100").stdout)


def test_every_run_records_versions_with_its_run(lake: Lake) -> None:
    runs = [r[0] for r in lake.sql("select run_id from ops.run_history where status = 'success' "
                                   "order by started_at")]
    assert len(runs) == 2
    versions = history(lake, "gold.fct_orders")
    assert [v["version"] for v in versions] == sorted((v["version"] for v in versions),
                                                      reverse=True)
    written = {v["run_id"] for v in versions}
    assert set(runs) <= written, versions
    first = versions[-1]
    assert first["operation"] in ("CREATE TABLE", "CREATE OR REPLACE TABLE")
    assert first["rows_inserted"] == len(lake.table("gold.fct_orders", first["version"]))
    # the second run changed the orders the day touched: rows deleted and inserted
    second = [v for v in versions if v["run_id"] == runs[1]]
    assert second and sum(v["rows_inserted"] for v in second) > 0
    assert sum(v["rows_deleted"] for v in second) > 0


def test_tpch_reports_on_day_0_equal_published_answers(lake: Lake) -> None:
    assert {q: wrong for q, rows in lake.first["tpch"].items()
            if (wrong := report_mismatches(0.01, q, rows))} == {}


def test_time_travel_by_version_is_what_the_table_held(lake: Lake) -> None:
    assert lake.table("gold.fct_orders", lake.first["version"]) == lake.first["fct_orders"]
    assert lake.table("gold.fct_orders", lake.second["version"]) == lake.second["fct_orders"]
    assert lake.first["fct_orders"] != lake.second["fct_orders"]
    shown = json.loads(lake.cli("time-travel", "--table", "gold.fct_orders", "--version",
                                str(lake.first["version"]), "--limit", "-1", "--json").stdout)
    assert len(shown["show"]) == len(lake.first["fct_orders"])
    missing = lake.cli("time-travel", "--table", "gold.fct_orders", "--version", "99999",
                       check=False)
    assert missing.returncode != 0 and "does not exist" in missing.stderr
    # before the table's first version: one line that names it (not dbt's error and SQL)
    first = table_history(lake.db, "gold.fct_orders")[-1]["version"]
    before = lake.cli("time-travel", "--table", "gold.fct_orders", "--version", str(first - 1),
                      check=False)
    assert before.returncode == 1
    assert before.stderr.strip().splitlines() == [
        f"lakehouse: gold.fct_orders did not exist before version {first}, its first version"]


def test_restore_writes_a_new_version_and_keeps_the_history(lake: Lake) -> None:
    before = lake.version()
    lake.cli("restore", "--table", "gold.fct_orders", "--version", str(lake.first["version"]))
    assert lake.table("gold.fct_orders") == lake.first["fct_orders"]
    newest = table_history(lake.db, "gold.fct_orders")[0]
    assert newest["operation"] == "RESTORE" and newest["version"] > before
    assert newest["rows_inserted"] == len(lake.first["fct_orders"])
    # the version before the restore is still there: restoring it undoes the restore
    assert lake.table("gold.fct_orders", before) == lake.second["fct_orders"]
    lake.cli("restore", "--table", "gold.fct_orders", "--version", str(before))
    assert lake.table("gold.fct_orders") == lake.second["fct_orders"]
    refused = lake.cli("restore", "--table", "bronze.cdc_orders", "--version",
                       str(lake.first["version"]), check=False)
    assert refused.returncode == 1 and "exactly-once" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_change_feed_holds_what_a_run_changed(lake: Lake) -> None:
    start = lake.first["version"] + 1
    feed = json.loads(lake.cli("changes", "--table", "gold.fct_orders", "--from", str(start),
                               "--to", str(lake.second["version"]), "--limit", "-1",
                               "--json").stdout)
    assert feed and {row["change_type"] for row in feed} <= {
        "insert", "delete", "update_preimage", "update_postimage"}
    first = {row[0]: row for row in lake.first["fct_orders"]}
    second = {row[0]: row for row in lake.second["fct_orders"]}
    changed = {key for key in first.keys() | second.keys() if first.get(key) != second.get(key)}
    # every order whose row changed is in the feed (order_id is the table's first column)
    assert changed and changed <= {row["order_id"] for row in feed}
    # publishing rewrote fct_orders' files with deletes (a version that changes no row, as
    # Delta's OPTIMIZE is dataChange=false): history names it and its run, the feed leaves it out
    versions = history(lake, "gold.fct_orders")
    rewrites = [v for v in versions if v["operation"] == "OPTIMIZE"]
    second_run = lake.one("select run_id from ops.run_history where status = 'success' "
                          "order by started_at desc limit 1")
    assert [(v["committed_by"], v["run_id"], v["rows_inserted"], v["rows_deleted"])
            for v in rewrites if start <= v["version"]] == [
        ("lakehouse publish", second_run, 0, 0)], versions
    assert not {row["snapshot_id"] for row in feed} & {v["version"] for v in rewrites}
    images: dict[tuple, list] = {}
    for row in feed:
        if row["change_type"].startswith("update_"):
            images.setdefault((row["snapshot_id"], row["rowid"]), []).append(
                {k: v for k, v in row.items() if k != "change_type"})
    assert not [key for key, pair in images.items() if len(pair) == 2 and pair[0] == pair[1]]
    # a table rebuilt whole by the run: its feed starts at the rebuild
    rebuilt = [v for v in table_history(lake.db, "gold.rpt_tpch_q01")
               if v["operation"] == "CREATE OR REPLACE TABLE"]
    assert rebuilt
    refused = lake.cli("changes", "--table", "gold.rpt_tpch_q01", "--from", "1", check=False)
    assert refused.returncode == 1 and "replaced at version" in refused.stderr


def files(lake: Lake) -> set[Path]:
    return set(Path(str(lake.db) + ".files").rglob("*.parquet"))


def test_vacuum_expires_old_versions_and_keeps_the_others(lake: Lake) -> None:
    kept = [v for v in table_history(lake.db, "gold.fct_orders") if v["version"] >= lake.first["version"]]
    on_disk = files(lake)
    older_than = f"{math.ceil(time.time() - lake.gap)}s"  # the first run's versions only
    lake.cli("vacuum", "--older-than", older_than)
    versions = {r[0] for r in lake.sql("select snapshot_id from ducklake_snapshots('lakehouse')")}
    assert lake.first["version"] not in versions
    assert lake.second["version"] in versions
    assert lake.table("gold.fct_orders", lake.second["version"]) == lake.second["fct_orders"]
    survivors = [v for v in kept if v["version"] in versions]
    assert survivors
    for version in survivors:  # every version not expired still travels: no file it needs gone
        lake.table("gold.fct_orders", version["version"])
    gone = lake.cli("time-travel", "--table", "gold.fct_orders", "--version",
                    str(lake.first["version"]), check=False)
    assert gone.returncode == 1 and len(gone.stderr.strip().splitlines()) == 1, gone.stderr
    assert f"version {lake.first['version']} of gold.fct_orders was expired by vacuum" in \
        gone.stderr and "the oldest version kept is" in gone.stderr
    # DESCRIBE HISTORY goes on answering: the kept versions, and the expired ones as expired
    for table in ("gold.fct_orders", "gold.dim_customer", "silver.customers"):
        after = table_history(lake.db, table)
        assert [v["version"] for v in after] == sorted((v["version"] for v in after),
                                                       reverse=True)
        expired = [v for v in after if v["expired_at"]]
        assert expired and all(v["version"] not in versions for v in expired), after
        assert all(v["version"] in versions for v in after if not v["expired_at"])
        assert expired[-1]["operation"] == "CREATE TABLE" and expired[-1]["rows_inserted"] > 0
    was = {v["version"]: v for v in kept}
    assert all(was[v["version"]] == {**v, "expired_at": None}
               for v in table_history(lake.db, "gold.fct_orders") if v["version"] in was)
    assert lake.answer() == lake.second["answer"]
    # the first run's tables live on in the second run's versions until the second run rebuilt
    # them: their files go once every version but the latest and the published one expires
    on_disk = files(lake)
    result = json.loads(lake.cli("vacuum", "--older-than", "0s", "--json").stdout)
    assert result["files_deleted"] > 0
    # the vacuum's own record of what it expired (ops.expired_versions) is a file more
    written = {f for f in files(lake) - on_disk if "expired_versions" in f.parts}
    assert written and files(lake) - written < on_disk
    assert {r[0] for r in lake.sql("select snapshot_id from ducklake_snapshots('lakehouse')")
            } >= {lake.version()}
    assert lake.answer() == lake.second["answer"]
    assert lake.table("gold.fct_orders") == lake.second["fct_orders"]


def test_optimize_compacts_files_and_changes_no_answer(lake: Lake) -> None:
    version = lake.version()
    result = lake.cli("optimize")
    before, after = (int(n) for n in result.stdout.split("data files: ")[1].split(" -> "))
    assert after <= before
    assert lake.answer() == lake.second["answer"]
    assert lake.table("gold.fct_orders") == lake.second["fct_orders"]
    # the version before the compaction still reads as it did (merged files keep versions)
    assert lake.table("gold.fct_orders", version) == lake.second["fct_orders"]
    # the compaction's versions are OPTIMIZE by `lakehouse optimize` in the history of each
    # table it compacted, and add nothing to its change feed
    compacted = {int(table_id) for _, changes in lake.sql(
                     "select snapshot_id, changes from ducklake_snapshots('lakehouse') where "
                     f"snapshot_id > {version} and author = 'lakehouse optimize'")
                 for ids in changes.values() for table_id in ids}
    assert compacted and before > after
    tables = lake.sql("select distinct s.schema_name || '.' || t.table_name "
                      "from __ducklake_metadata_lakehouse.ducklake_table as t "
                      "join __ducklake_metadata_lakehouse.ducklake_schema as s using (schema_id) "
                      f"where t.end_snapshot is null and t.table_id in {tuple(compacted) * 2}")
    assert tables
    for n, (table,) in enumerate(sorted(tables)):
        if n == 0:  # the commands, as a user runs them
            written = history(lake, table)
            feed = json.loads(lake.cli("changes", "--table", table, "--from", str(version + 1),
                                       "--json").stdout)
        else:  # their functions, in this process (a command costs seconds, and tables are many)
            written = table_history(lake.db, table)
            feed = changes(lake.db, table, version + 1)[1]
        optimized = [v for v in written if v["version"] > version]
        assert optimized and {(v["operation"], v["committed_by"], v["rows_inserted"],
                               v["rows_deleted"]) for v in optimized} == {
            ("OPTIMIZE", "lakehouse optimize", 0, 0)}, (table, optimized)
        assert feed == [], table


# a BI tool in its own process: attach the lake, read every answer table in one transaction
READER = """
import json, pathlib, sys, time
from lakehouse.warehouse import connect
out, stop, query, lake = sys.argv[1:5]
with open(out, "w") as f:
    while not pathlib.Path(stop).exists():
        try:
            con = connect(pathlib.Path(lake), read_only=True)
            con.execute("begin")
            answer = sorted(map(list, con.execute(query).fetchall()))
            con.close()
            f.write(json.dumps({"t": time.time(), "answer": answer}) + "\\n")
        except Exception as error:
            f.write(json.dumps({"t": time.time(), "error": str(error)}) + "\\n")
        f.flush()
        # a read opens the lake (a quarter of a CPU second): once a second, not five times,
        # or the reader takes a core from the run it watches
        time.sleep(1)
"""


def test_bi_reads_one_runs_gold_while_a_run_writes(lake: Lake, tmp_path: Path) -> None:
    before = lake.answer()
    out, stop = tmp_path / "reads.jsonl", tmp_path / "stop"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(out), str(stop), ANSWER,
                               str(lake.db)], env=lake.env, start_new_session=True)
    try:
        time.sleep(1)
        lake.deliver(2)
        started = time.time()
        lake.run()
        ended = time.time()
        time.sleep(1)
    finally:
        stop.touch()
        reader.wait(30)
    after = lake.answer()
    assert after != before
    reads = [json.loads(line) for line in out.read_text().splitlines()]
    errors = [r["error"] for r in reads if "error" in r]
    assert not errors, errors[:3]
    during = [r for r in reads if started <= r["t"] <= ended]
    assert len(during) >= 5
    answers = [[tuple(a) for a in r["answer"]] for r in reads]
    odd = [(round(r["t"] - started, 1), sorted(set(a) - set(before) - set(after)))
           for r, a in zip(reads, answers, strict=True) if a not in (before, after)]
    assert not odd, ("a reader saw gold of neither run (seconds into the run, what differed): "
                     f"{odd[:3]}; before {before}; after {after}")
    assert answers[0] == before and answers[-1] == after


# the README's connection to the lake for a BI tool ("BI reads the lake while it is written")
LAKE_READER = """
import duckdb, json, sys
lake, leak = sys.argv[1:3]
con = duckdb.connect()
for sql in (f"attach 'ducklake:sqlite:{lake}' as lake (read_only)",
            f"set allowed_directories = ['{lake}.files/']",
            "set enable_external_access = false", "set lock_configuration = true"):
    con.execute(sql)
out = {"orders": con.execute("select count(*) from lake.published.fct_orders").fetchone()[0]}
for name, sql in {"read": "select * from read_csv('/etc/passwd')",
                  "write": f"copy (select 1) to '{leak}'"}.items():
    try:
        con.execute(sql)
        out[name] = "allowed"
    except duckdb.Error as error:
        out[name] = str(error).splitlines()[0]
print(json.dumps(out))
"""


def test_the_documented_bi_connection_reads_the_lake_and_no_other_file(lake: Lake,
                                                                       tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-c", LAKE_READER, str(lake.db.resolve()),
                             str(tmp_path / "leak.csv")], capture_output=True, text=True,
                            timeout=120, env=lake.env)
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout)
    assert out["orders"] == lake.one("select count(*) from published.fct_orders") > 0
    assert all("file system operations are disabled" in out[p] for p in ("read", "write")), out


def test_a_killed_run_leaves_the_lake_at_a_consistent_version(lake: Lake) -> None:
    before = lake.answer()
    published = lake.one("select snapshot_id from published.version")
    loaded = lake.one("select count(*) from bronze.ingest_ledger")
    lake.deliver()  # the remaining days: the run that finishes the killed one builds them all
    run = subprocess.Popen([str(LAKEHOUSE), "run", "--no-docs"], cwd=PROJECT_DIR, env=lake.env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True)
    try:
        # bronze has committed the day's files: silver and gold are being written
        deadline = time.monotonic() + 300
        while lake.one("select count(*) from bronze.ingest_ledger") == loaded:
            assert run.poll() is None and time.monotonic() < deadline
            time.sleep(1)  # (each look opens the lake: a quarter of a CPU second)
        time.sleep(1)
    finally:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait(30)
    assert lake.answer() == before  # BI still reads the last successful run
    assert lake.one("select snapshot_id from published.version") == published
    lake.run()  # the next run finishes the work: each file ingested once, gold published
    assert lake.one("select count(*) - count(distinct (feed, path)) from bronze.ingest_ledger") == 0
    assert lake.one("select snapshot_id from published.version") > published
    # what the kill left is proven by the tests below: silver equals the truth and gold a
    # DuckDB file's built from the same landing zone in one run
    # (test_gold_equals_one_duckdb_run_after_every_day)


@pytest.fixture(scope="module")
def every_day(lake: Lake) -> Lake:
    """The lake after all the above: days 0, 1 and 2 run one by one, the rest in a run killed
    after its bronze and the run that finished it (here a run with nothing pending, which
    builds nothing, unless the tests above did not run)."""
    lake.deliver()
    lake.run()
    return lake


@pytest.mark.parametrize("entity", ENTITIES)
def test_silver_equals_truth_after_every_day(every_day: Lake, entity: str) -> None:
    assert truth_differences(every_day, entity) == {"current": ([], []), "history": ([], [])}


def test_gold_reconciles_with_silver_and_truth_after_every_day(every_day: Lake) -> None:
    assert {name: pair for name, pair in gold_reconciliation(every_day).items()
            if pair[0] != pair[1]} == {}


def test_gold_equals_one_duckdb_run_after_every_day(every_day: Lake,
                                                    published_all_days: Path) -> None:
    """The lake, built day by day through a killed run, holds the gold of the session's DuckDB
    file that built every day in one run (business columns: technical ones, `_applied_through`,
    hold build times)."""
    compared = compare_gold(every_day.db, Served(published_all_days, every_day.generated).db)
    assert len(compared) > 10
    assert {t: c for t, c in compared.items() if c["only_ours"] or c["only_baseline"]} == {}
