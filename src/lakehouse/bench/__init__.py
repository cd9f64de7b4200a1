"""The benchmarks, apart from the product: the whole pipeline against a plain-DuckDB baseline
(`pipeline`, `baseline` with its SQL in `sql/`, `report`), one new file on top of N ingested
(`ingest`), and a day's CDC increment against the full build (`cdc`)."""

# the engines `lakehouse bench` runs the project on beside the DuckDB file (each a dbt target)
ENGINES = ("duckdb", "spark", "spark_cluster")
