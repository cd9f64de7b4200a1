"""The build subcommands: `run` (the main job), `history` (the run history, or a table's
versions), `docs` (dbt's lineage browser), `lineage` (a column's lineage), `databricks`
(dbt on the databricks target) and `cluster` (a Spark cluster for the spark_cluster target)."""

from __future__ import annotations

import argparse
import json

from lakehouse import log
from lakehouse.apps.servers import serve
from lakehouse.config import CLUSTER_DIR, DB, GENERATED, LANDING, PROJECT_DIR, Settings
from lakehouse.dbt import Dbt
from lakehouse.errors import UserError
from lakehouse.lake.commands import print_rows
from lakehouse.sources.commands import data_options
from lakehouse.sources.delivery import generate_if_needed


def cmd_run(args: argparse.Namespace) -> int:
    from lakehouse.build.pipeline import run_pipeline
    from lakehouse.sources.generator import deliver

    settings = Settings.from_env((LANDING, DB, *((GENERATED,) if args.generate else ())))
    if args.generate:
        generate_if_needed(settings.generated, args.sf, args.days, args.seed,
                           change_scale=args.change_scale)
        delivered = deliver(settings.generated, settings.landing)
        log(f"delivered {len(delivered)} new file(s) into {settings.landing}")
    run_pipeline(settings, docs=not args.no_docs, max_files_per_run=args.max_files_per_run,
                 variables=json.loads(args.vars) if args.vars else None,
                 publish_to=None if args.no_publish else settings.serving)
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    """Print the latest runs from ops.run_history (Workflows' run history), or with --table a
    table's versions (Delta's DESCRIBE HISTORY, on the lake target)."""
    settings = Settings.from_env((DB,))
    if args.table:
        from lakehouse.lake.versions import HISTORY_COLUMNS, table_history

        rows = table_history(settings.db, args.table, limit=args.limit)
        print_rows(list(HISTORY_COLUMNS), [tuple(r.values()) for r in rows], args.json)
        return 0
    from lakehouse.build.run_history import print_history

    print_history(settings.db, settings.serving / "lakehouse.duckdb", args.limit)  # type: ignore[operator]
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    """Generate the dbt docs site (lineage: landing files -> bronze -> silver -> gold ->
    exposures) and, with --serve, serve it on localhost."""
    Settings.from_env((LANDING, DB)).export()
    dbt = Dbt()
    # --static: one self-contained page that renders opened from disk (index.html fetches
    # manifest.json and catalog.json, which browsers refuse over file://)
    dbt.run("docs", "generate", "--static")
    site = dbt.target / "static_index.html"
    log(f"docs site: {site} (open file://{site} in a browser)")
    if args.serve:
        log(f"serving the docs on http://127.0.0.1:{args.port} (Ctrl-C to stop)")
        return serve(dbt.command("docs", "serve", "--port", str(args.port), "--host",
                                 "127.0.0.1", "--no-browser"))
    return 0


def cmd_lineage(args: argparse.Namespace) -> int:
    """Print a gold (or any) column's lineage down to the landing fields."""
    from lakehouse.build.lineage import ARTIFACT, Lineage, tree

    settings = Settings.from_env((DB,))
    target = Dbt().target
    artifact = target / ARTIFACT
    if artifact.exists():
        result = Lineage.from_json(json.loads(artifact.read_text()))
    elif (target / "manifest.json").exists() and settings.db.exists():
        from lakehouse.build.pipeline import column_lineage

        result = column_lineage(settings.db, target)
    else:
        raise UserError(f"no column lineage yet ({artifact}): run `lakehouse run` first")
    name = args.column.lower()
    columns = [name] if name in result.upstream else sorted(
        c for c in result.upstream if c.startswith(name + "."))
    if not columns:
        tables = sorted({c.rsplit(".", 1)[0] for c in result.upstream if c.startswith("gold.")})
        raise UserError(f"no column or table '{args.column}' in the lineage; gold tables: "
                        f"{', '.join(tables)}")
    for column in columns:
        print("\n".join(tree(result, column)))
    return 0


def cmd_databricks(args: argparse.Namespace) -> int:
    """dbt on the databricks target, from its own environment (made on first use)."""
    from lakehouse.build.databricks import databricks_dbt

    return databricks_dbt().run(*(args.dbt_args or ["parse"]), check=False).returncode


def cmd_cluster(args: argparse.Namespace) -> int:
    """A Spark standalone cluster on 127.0.0.1 for the spark_cluster target."""
    from lakehouse.build import cluster

    directory = PROJECT_DIR / args.dir  # a relative path from the project, as the profile's
    if args.action == "start":
        cluster.start(directory, workers=args.workers, cores=args.cores, memory=args.memory,
                      master_port=args.master_port, thrift_port=args.thrift_port,
                      ui_port=args.ui_port)
    elif args.action == "stop":
        if not cluster.stop(directory):
            log(f"cluster: none started from {directory.resolve()}")
    else:
        print(json.dumps(cluster.status(directory), indent=1))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="the main job: everything pending through all layers",
                       description="Process everything pending in the landing zone through "
                       "bronze, silver and gold (dbt build: models and tests), then generate "
                       "the docs. With --generate, first generate the data set (if not yet "
                       "there) and deliver all of it.")
    p.add_argument("--generate", action="store_true",
                   help="generate (sf/days/seed below) and deliver all files first")
    data_options(p)
    p.add_argument("--no-docs", action="store_true", help="skip dbt docs generate")
    p.add_argument("--vars", help="dbt variables for the build, as JSON (e.g. expectation "
                                  "overrides)")
    p.add_argument("--no-publish", action="store_true",
                   help="do not publish gold to the serving location")
    p.add_argument("--max-files-per-run", type=int, metavar="N",
                   help="at most N new files per feed per dbt build; builds repeat until "
                        "nothing is pending (Auto Loader maxFilesPerTrigger + AvailableNow)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("history", help="the run history (ops.run_history), or a table's "
                       "versions (--table)",
                       description="Print the latest runs: id, times, status, files ingested, "
                       "models, whether gold was published. With --table (lake target), the "
                       "table's versions, newest first, as Delta's DESCRIBE HISTORY: version, "
                       "time, operation, rows inserted and deleted, the run that wrote it.")
    p.add_argument("--limit", type=int, default=20, help="runs or versions to show (default 20)")
    p.add_argument("--table", help="a table of the lake, e.g. gold.fct_orders")
    p.add_argument("--json", action="store_true", help="print JSON (with --table)")
    p.set_defaults(func=cmd_history)

    p = sub.add_parser("docs", help="generate (and serve) the dbt docs: lineage browser",
                       description="dbt docs generate; with --serve, dbt docs serve on "
                       "127.0.0.1. The lineage graph runs from the landing sources to the gold "
                       "exposures.")
    p.add_argument("--serve", action="store_true", help="serve the site after generating it")
    p.add_argument("--port", type=int, default=8080, help="port for --serve (default 8080)")
    p.set_defaults(func=cmd_docs)

    p = sub.add_parser("lineage", help="column lineage of a gold column, down to landing",
                       description="Print where a column comes from, column by column, down "
                       "to the landing files' fields, with PII tags (from the last run's "
                       "target/column_lineage.json, computed from the compiled SQL).")
    p.add_argument("column", help="schema.table.column (e.g. gold.dim_supplier.phone), or "
                                  "schema.table for all its columns")
    p.set_defaults(func=cmd_lineage)

    p = sub.add_parser("databricks", help="dbt on the databricks target (dbt-databricks, Delta), "
                       "from its own environment", description="Run dbt on the `databricks` "
                       "target (profiles.yml; DATABRICKS_HOST, DATABRICKS_HTTP_PATH, "
                       "DATABRICKS_TOKEN, DATABRICKS_CATALOG) from .venv-databricks, which is "
                       "made or updated from requirements-databricks.txt first. Without "
                       "arguments: `dbt parse`, which needs no workspace.")
    p.add_argument("dbt_args", nargs=argparse.REMAINDER,
                   help="the dbt command and its arguments (default: parse)")
    p.set_defaults(func=cmd_databricks)

    p = sub.add_parser("cluster", help="a Spark cluster on 127.0.0.1 for the spark_cluster "
                       "target: start, stop, status",
                       description="Start (and leave running), stop or describe a Spark "
                       "standalone cluster from the pyspark wheel: a master, workers and the "
                       "Thrift JDBC/ODBC server that the spark_cluster target connects to, all "
                       "in one process group on 127.0.0.1. Its warehouse, metastore, logs and "
                       "state are under --dir (LAKEHOUSE_DB for the spark_cluster target).")
    p.add_argument("action", choices=("start", "stop", "status"))
    p.add_argument("--dir", default=CLUSTER_DIR,
                   help=f"the cluster's directory (default {CLUSTER_DIR})")
    p.add_argument("--workers", type=int, default=2, help="workers (default 2)")
    p.add_argument("--cores", type=int, default=1, help="cores per worker (default 1)")
    p.add_argument("--memory", default="1g", help="memory per worker and executor (default 1g)")
    p.add_argument("--master-port", type=int, default=7077)
    p.add_argument("--thrift-port", type=int, default=10000,
                   help="the Thrift server's port (default 10000; LAKEHOUSE_SPARK_PORT)")
    p.add_argument("--ui-port", type=int, default=8080,
                   help="the master's web UI; the workers' and the application's follow it")
    p.set_defaults(func=cmd_cluster)
