"""The stream's reconciliation, per topic partition: every offset landed is in bronze once,
loaded or quarantined with its reason, or a tombstone (counted, not loaded), and the landed
offsets run without a gap from the first consumed to the last.

A partition's offsets are contiguous on a topic written without transactions (Kafka's
transaction markers take offsets no consumer sees: on such a topic a gap is the broker's, and
`gaps` counts them too).
"""

from __future__ import annotations

from pathlib import Path

from lakehouse.warehouse import connect

COLUMNS = ("topic", "partition", "first_offset", "last_offset", "landed", "loaded",
           "quarantined", "tombstones", "duplicates", "unaccounted", "gaps")


def reconcile(landing: Path, db: Path) -> list[dict]:
    """One row per partition landed (see COLUMNS); a partition is sound when `duplicates`,
    `unaccounted` and `gaps` are 0."""
    files = sorted((landing / "stream").glob("*/*/*/*.jsonl"))
    if not files:
        return []
    con = connect(db, read_only=True)
    try:
        # every bronze table a streamed feed loads into carries the Kafka coordinates
        tables = [t for (t,) in con.execute(
            "select table_name from duckdb_columns() where schema_name = 'bronze' "
            "and column_name = '_kafka_offset' order by 1").fetchall()]
        loaded = " union all ".join(
            f"select _kafka_topic as topic, _kafka_partition as partition, _kafka_offset as offset "
            f"from bronze.{table} where _kafka_offset is not null" for table in tables) or (
            "select null::varchar as topic, null::integer as partition, null::bigint as offset "
            "where false")
        rows = con.execute(f"""
            with landed as (
                select topic, partition, "offset", value is null as is_tombstone
                from read_json(?, format = 'newline_delimited', columns = {{
                    topic: 'varchar', partition: 'integer', "offset": 'bigint', value: 'varchar'
                }})
            ),
            loaded as ({loaded}),
            quarantined as (
                select
                    raw_text ->> 'topic' as topic,
                    (raw_text ->> 'partition')::integer as partition,
                    (raw_text ->> 'offset')::bigint as "offset"
                from bronze.quarantine_landing
                where source_file like 'stream/%' and source_line is not null
            ),
            accounted as (
                select topic, partition, "offset", 'loaded' as how from loaded
                union all
                select topic, partition, "offset", 'quarantined' from quarantined
                union all
                select topic, partition, "offset", 'tombstone' from landed where is_tombstone
            ),
            per_offset as (
                select landed.topic, landed.partition, landed."offset",
                       count(accounted.how) as times,
                       any_value(accounted.how) as how
                from landed
                left join accounted using (topic, partition, "offset")
                group by all
            )
            select
                topic, partition, min("offset"), max("offset"), count(*),
                count(*) filter (where how = 'loaded'),
                count(*) filter (where how = 'quarantined'),
                count(*) filter (where how = 'tombstone'),
                coalesce(sum(times - 1) filter (where times > 1), 0)
                    + (select count(*) - count(distinct (l.topic, l.partition, l."offset"))
                       from landed as l where l.topic = p.topic and l.partition = p.partition),
                count(*) filter (where times = 0),
                max("offset") - min("offset") + 1 - count(distinct "offset")
            from per_offset as p
            group by topic, partition
            order by topic, partition
        """, [[str(f) for f in files]]).fetchall()
    finally:
        con.close()
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows]
