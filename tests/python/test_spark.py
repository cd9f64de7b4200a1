"""The `spark` target (dbt-spark on a local Spark session, Parquet tables): bronze built on Spark
from a landing zone with every defect the generator writes holds the same rows, ingest ledger
and landing quarantine as bronze built on DuckDB from the same files, after a first run and
after an incremental one; and a batch cut off before its ledger rows were written (Spark has no
transactions: the ledger is the commit record) is loaded again, exactly once."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest
from warehouse import Warehouse

pytestmark = pytest.mark.slow  # a JVM and several Spark builds

# written by the run, not by the data: differ between any two builds
VOLATILE = {"_ingested_at", "_run_id", "run_id", "loaded_at", "first_seen_at", "quarantined_at",
            "modified_at"}
# JSON text: the same JSON, but Spark's VARIANT prints keys sorted and numbers normalised
JSON_COLUMNS = {"_raw", "_before", "_after", "_rescued_data"}
EXTERNAL = "ext_loyalty_members"


class SparkWarehouse(Warehouse):
    """A warehouse on the spark target: LAKEHOUSE_DB is the directory of Spark's warehouse
    (tables as Parquet under warehouse/<schema>.db/<table>/) and its Derby metastore."""

    def __init__(self, root: Path, generated: Path) -> None:
        super().__init__(root, generated, target_name="spark")
        self.db = root / "warehouse.spark"

    def table_files(self, schema: str, table: str) -> Path:
        return self.db / "warehouse" / f"{schema}.db" / table

    def relation(self, schema: str, table: str) -> str:
        return f"read_parquet('{self.table_files(schema, table)}/**/*.parquet', union_by_name = true)"


def bronze_differences(spark: SparkWarehouse, duck: Warehouse) -> dict[str, Any]:
    """Per bronze table: what one engine's build holds that the other's does not."""
    con = duckdb.connect()
    con.execute(f"attach '{duck.db}' as duck (read_only)")
    differences: dict[str, Any] = {}
    tables = [row[0] for row in con.execute(
        "select table_name from duckdb_tables() where database_name = 'duck'"
        " and schema_name = 'bronze' order by 1").fetchall()]
    assert len(tables) == 13, tables
    for table in tables:
        if table == EXTERNAL:
            # Spark reaches the CRM database only through JDBC, with a driver jar not available
            # here: its table exists, empty, as on DuckDB without the database file
            if con.execute(f"select count(*) from {spark.relation('bronze', table)}").fetchone()[0]:
                differences[table] = "rows without the external database"
            continue
        if not any(spark.table_files("bronze", table).glob("*.parquet")):
            differences[table] = "no Spark table"
            continue
        theirs = spark.relation("bronze", table)
        ours = f"duck.bronze.{table}"
        columns = [row[0] for row in con.execute(f"describe {ours}").fetchall()]
        spark_columns = [row[0] for row in con.execute(f"describe select * from {theirs}").fetchall()]
        if sorted(columns) != sorted(spark_columns):
            differences[table] = {"columns": (columns, spark_columns)}
            continue
        compared = ", ".join(f'"{c}"::varchar' for c in columns
                             if c not in VOLATILE | JSON_COLUMNS)
        only = {}
        for name, left, right in (("duckdb", ours, theirs), ("spark", theirs, ours)):
            rows = con.execute(f"select {compared} from {left} except all"
                               f" select {compared} from {right} limit 3").fetchall()
            if rows:
                only[name] = rows
        json_columns = [c for c in columns if c in JSON_COLUMNS]
        if json_columns and not only:
            # the same JSON values, line by line
            select = ", ".join(["_source_file", "_source_line", *json_columns])
            duck_json, spark_json = (
                [(*row[:2], *(json.loads(v) if v is not None else None for v in row[2:]))
                 for row in con.execute(f"select {select} from {relation} order by 1, 2").fetchall()]
                for relation in (ours, theirs))
            if duck_json != spark_json:
                only["json"] = [pair for pair in zip(duck_json, spark_json, strict=True)
                                if pair[0] != pair[1]][:2]
        if only:
            differences[table] = only
    con.close()
    return differences


def forget_ledger_rows(spark: SparkWarehouse, feed: str) -> int:
    """The ledger as a run killed after appending `feed`'s batch, before writing its ledger rows,
    leaves it: the feed's rows are taken out of the ledger table's Parquet files."""
    files = spark.table_files("bronze", "ingest_ledger")
    parquet = sorted(files.glob("*.parquet"))
    con = duckdb.connect()
    relation = f"read_parquet({[str(p) for p in parquet]!r})"
    forgotten = con.execute(f"select count(*) from {relation} where feed = ?", [feed]).fetchone()[0]
    kept = files.parent / "ingest_ledger.kept.parquet"
    con.execute(f"copy (select * from {relation} where feed <> ?) to '{kept}' (format parquet)",
                [feed])
    con.close()
    for path in files.iterdir():
        if path.name.endswith(".parquet") or path.name.endswith(".parquet.crc"):
            path.unlink()
    shutil.move(kept, files / "part-00000-kept.parquet")
    return forgotten


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory, generated: Path
            ) -> tuple[SparkWarehouse, Warehouse]:
    spark = SparkWarehouse(tmp_path_factory.mktemp("spark"), generated)
    duck = Warehouse(tmp_path_factory.mktemp("spark-duckdb"), generated, target_name="dev")
    for warehouse in (spark, duck):
        warehouse.deliver(1)
        warehouse.dbt("run", "--select", "models/bronze")
    return spark, duck


def test_first_run_loads_what_duckdb_loads(engines: tuple[SparkWarehouse, Warehouse]) -> None:
    spark, duck = engines
    assert bronze_differences(spark, duck) == {}


def test_increment_after_a_cut_off_batch_loads_each_line_once(
        engines: tuple[SparkWarehouse, Warehouse]) -> None:
    spark, duck = engines
    assert forget_ledger_rows(spark, "cdc_orders") > 0
    for warehouse in (spark, duck):
        warehouse.deliver()
        warehouse.dbt("run", "--select", "models/bronze")
    assert bronze_differences(spark, duck) == {}
