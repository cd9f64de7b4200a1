"""The lake subcommands, Delta's table-version commands: `time-travel`, `restore`, `changes`,
`vacuum`, `optimize`."""

from __future__ import annotations

import argparse
import json

from lakehouse import log
from lakehouse.config import DB, Settings


def cmd_time_travel(args: argparse.Namespace) -> int:
    """Print a history model or snapshot as of a source time (the `as_of` macro), or any table
    of the lake as a version or a build left it (dbt show)."""
    from lakehouse.lake.time_travel import time_travel, time_travel_build

    settings = Settings.from_env((DB,))
    settings.export()
    if args.as_of is None:
        return time_travel_build(settings.db, args.table, version=args.version,
                                 as_of_build=args.as_of_build, where=args.where,
                                 limit=args.limit, as_json=args.json)
    return time_travel(settings.db, args.table, args.as_of, where=args.where, limit=args.limit,
                       as_json=args.json)


def cmd_restore(args: argparse.Namespace) -> int:
    """RESTORE TABLE ... TO VERSION AS OF (lake target)."""
    from lakehouse.lake.versions import restore

    result = restore(Settings.from_env((DB,)).db, args.table, args.version, force=args.force)
    log(f"restored {result['table']} to version {result['restored_version']} as version "
        f"{result['new_version']} ({result['rows_deleted']} rows deleted, "
        f"{result['rows_inserted']} inserted; the history is kept)")
    return 0


def cmd_changes(args: argparse.Namespace) -> int:
    """The change data feed between two versions (lake target)."""
    from lakehouse.lake.versions import changes

    columns, rows = changes(Settings.from_env((DB,)).db, args.table, args.start, args.end,
                            limit=args.limit)
    print_rows(columns, rows, args.json)
    return 0


def cmd_vacuum(args: argparse.Namespace) -> int:
    """VACUUM (lake target): expire old versions, delete files no kept version uses."""
    from lakehouse.lake.versions import vacuum

    result = vacuum(Settings.from_env((DB,)).db, args.older_than, dry_run=args.dry_run)
    if args.json:
        print(json.dumps(result))
        return 0
    expired = result["versions_expired"]
    log(("would expire" if args.dry_run else "expired") + f" {len(expired)} version(s)"
        + (f" ({expired[0]}..{expired[-1]})" if expired else "")
        + ("" if args.dry_run else f"; deleted {result['files_deleted']} data file(s)"))
    return 0


def cmd_optimize(args: argparse.Namespace) -> int:
    """OPTIMIZE (lake target): compact small files, rewrite files with many deletes."""
    from lakehouse.lake.versions import optimize

    result = optimize(Settings.from_env((DB,)).db)
    log(f"data files: {result['data_files_before']} -> {result['data_files_after']}")
    return 0


def print_rows(columns: list[str], rows: list[tuple], as_json: bool = False) -> None:
    """Rows as a Markdown table, or as JSON (a list of objects)."""
    if as_json:
        print(json.dumps([dict(zip(columns, r, strict=True)) for r in rows], indent=1,
                         default=str))
        return
    print("| " + " | ".join(columns) + " |")
    print("| " + " | ".join("---" for _ in columns) + " |")
    for row in rows:
        print("| " + " | ".join("" if v is None else str(v) for v in row) + " |")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("time-travel", help="a table as it was at a time or version",
                       description="Print the rows of a history model (source time: commit "
                       "time or extract date) or of a dbt snapshot (build time) as they were at "
                       "--as-of, through the as_of() macro; or, on the lake target, any table "
                       "as table version --version or the build at --as-of-build left it "
                       "(Delta's VERSION AS OF / TIMESTAMP AS OF).")
    p.add_argument("--table", required=True,
                   help="with --as-of, a history model or snapshot, e.g. customers_history, "
                        "parts_snapshot; else any table of the lake, e.g. gold.fct_orders")
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument("--as-of", help="a source time, e.g. '1998-08-05 12:00' (UTC)")
    when.add_argument("--version", type=int,
                      help="a table version (`lakehouse history --table T` lists them)")
    when.add_argument("--as-of-build", metavar="TIMESTAMP",
                      help="a build time, e.g. '2026-12-02 21:00' (UTC): the last version "
                           "committed by then")
    p.add_argument("--where", help="a SQL filter on the rows, e.g. 'customer_id = 7'")
    p.add_argument("--limit", type=int, default=50, help="rows to print (default 50, -1 all)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=cmd_time_travel)

    p = sub.add_parser("restore", help="a table back to a version, as a new version (lake)",
                       description="Delta's RESTORE TABLE ... TO VERSION AS OF: the table's "
                       "rows become what version --version held, written as a new version in "
                       "one transaction (the history is kept; restoring is itself undone by "
                       "restoring the version before it). Bronze tables are refused unless "
                       "--force: with the ingest ledger they say which files were loaded.")
    p.add_argument("--table", required=True, help="a table of the lake, e.g. gold.fct_orders")
    p.add_argument("--version", type=int, required=True, help="the version to restore")
    p.add_argument("--force", action="store_true",
                   help="restore a bronze table too (restore bronze.ingest_ledger with it)")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("changes", help="the change data feed of a table (lake)",
                       description="Delta's table_changes(): every row inserted, deleted or "
                       "updated (pre- and post-image) from version --from to --to (default the "
                       "latest), with snapshot_id (the version), rowid and change_type.")
    p.add_argument("--table", required=True, help="a table of the lake, e.g. gold.fct_orders")
    p.add_argument("--from", dest="start", type=int, required=True, help="first version")
    p.add_argument("--to", dest="end", type=int, help="last version (default: the latest)")
    p.add_argument("--limit", type=int, default=100, help="rows to print (default 100, -1 all)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=cmd_changes)

    p = sub.add_parser("vacuum", help="expire old table versions, delete unused files (lake)",
                       description="Delta's VACUUM: expire the versions older than "
                       "--older-than (never the latest, nor the one BI reads), then delete the "
                       "data files that no kept version references. Time travel to an expired "
                       "version is no longer possible.")
    p.add_argument("--older-than", default="7d",
                   help="age of the versions to expire: 7d, 12h, 30m (default 7d)")
    p.add_argument("--dry-run", action="store_true", help="list what would be expired")
    p.add_argument("--json", action="store_true",
                   help="print the versions expired and the files deleted as JSON")
    p.set_defaults(func=cmd_vacuum)

    p = sub.add_parser("optimize", help="compact small data files (lake)",
                       description="Delta's OPTIMIZE: merge each table's small Parquet files "
                       "and rewrite files with many deleted rows. Versions, time travel and "
                       "the change feed are unchanged.")
    p.set_defaults(func=cmd_optimize)
