"""Bronze as the bronze tests read it: the bronze models' selection, the feeds, and a
fingerprint of every bronze table to compare two warehouses or two moments of one."""

from __future__ import annotations

from warehouse import Warehouse

BRONZE = ("--select", "path:models/bronze")
FEEDS = ("full_customer", "full_orders", "full_lineitem", "full_part", "full_supplier",
         "full_partsupp", "cdc_customer", "cdc_orders", "cdc_lineitem", "web_events_raw")
TECHNICAL = ("_ingested_at", "_run_id")


def fingerprint(wh: Warehouse, technical: bool = True) -> dict[str, tuple]:
    """Row count and an order-independent hash of every bronze table (optionally without the
    columns that say when and by which run a row was written)."""
    excluded = {table: "_ingested_at, _run_id" for table in FEEDS}
    excluded["ingest_ledger"] = "modified_at, first_seen_at, loaded_at, run_id"
    excluded["quarantine_landing"] = "run_id, quarantined_at"
    out = {}
    for table, columns in excluded.items():
        select = "*" if technical else f"* exclude ({columns})"
        out[table] = wh.sql(f"select count(*), sum(hash(t)) from "
                            f"(select {select} from bronze.{table}) as t")[0]
    return out
