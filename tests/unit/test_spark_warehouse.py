"""A Spark warehouse (the `spark` and `spark_cluster` targets' directory: Parquet files under
warehouse/<schema>.db/<table>/) as the Python around dbt reads and records it: `lakehouse run`'s
run history and table storage in the directory's records file, the landing files its ledger
holds not pending again, a table Spark dropped gone, and gold published from the files."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from lakehouse.build.landing import pending_files
from lakehouse.build.publish import connect_serving, publish
from lakehouse.build.run_history import RunRecorder, last_build
from lakehouse.warehouse import SPARK_RECORDS, connect


def spark_table(db: Path, schema: str, table: str, select: str) -> None:
    """A table as Spark writes one: a folder of Parquet part files."""
    folder = db / "warehouse" / f"{schema}.db" / table
    folder.mkdir(parents=True)
    con = duckdb.connect()
    con.execute(f"copy ({select}) to '{folder / 'part-00000.parquet'}' (format parquet)")
    con.close()


def test_a_run_is_recorded_and_published_from_a_spark_warehouse(tmp_path: Path) -> None:
    db, landing = tmp_path / "warehouse.spark", tmp_path / "landing"
    (landing / "full" / "orders" / "day=0").mkdir(parents=True)
    for name in ("a", "b"):
        (landing / "full" / "orders" / "day=0" / f"{name}.parquet").write_bytes(b"PAR1")
    spark_table(db, "bronze", "ingest_ledger",
                "select 'full_orders' as feed, 'full/orders/day=0/a.parquet' as path, "
                "'loaded' as status, 4::bigint as size_bytes, now()::timestamp as modified_at, "
                "'invocation-1' as run_id, now()::timestamp as loaded_at")
    spark_table(db, "gold", "fct_orders", "select range as order_id from range(3)")
    spark_table(db, "gold", "dim_gone", "select 1 as id")

    recorder = RunRecorder(db, tmp_path / "target")
    recorder.invocations = ["invocation-1"]
    recorder.models = [{"node": "model.lakehouse.fct_orders", "status": "success",
                        "seconds": 1.0, "rows_affected": None,
                        "relation": "`gold`.`fct_orders`"}]
    recorder.project_hash = "abc"
    recorder.finish("success", published=False)

    assert (db / SPARK_RECORDS).is_file()
    built = last_build(db)
    assert built is not None and (built.run_id, built.status) == (recorder.run_id, "success")
    assert pending_files(landing, db)["full_orders"] == ["full/orders/day=0/b.parquet"]
    con = connect(db, read_only=True)
    try:
        assert con.execute("select files_ingested, models::varchar from ops.run_history"
                           ).fetchone()[0] == 1  # type: ignore[index]
        models = con.execute("select models from ops.run_history").fetchone()[0]  # type: ignore[index]
        assert '"rows_after": 3' in models and '"layer": "gold"' in models
        storage = dict(((s, t), (rows, size)) for s, t, rows, size in con.execute(
            "select table_schema, table_name, row_count, bytes from ops.table_storage"
        ).fetchall())
        assert storage[("gold", "fct_orders")][0] == 3 and storage[("gold", "fct_orders")][1] > 0
    finally:
        con.close()

    shutil.rmtree(db / "warehouse" / "gold.db" / "dim_gone")  # Spark dropped it
    connect(db).close()
    served = publish(db, tmp_path / "serving", tmp_path / "manifest.json", "run-1", masks={})
    con = connect_serving(served)
    try:
        assert con.execute("select count(*) from serving.gold.fct_orders").fetchone()[0] == 3  # type: ignore[index]
        assert [r[0] for r in con.execute(
            "select table_name from duckdb_tables() where database_name = 'serving' "
            "and schema_name = 'gold'").fetchall()] == ["fct_orders"]
        assert con.execute("select run_id from serving.ops.run_history").fetchall() == [
            (recorder.run_id,)]
    finally:
        con.close()
