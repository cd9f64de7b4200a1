"""The one error hierarchy. Every error the command line reports is a `LakehouseError`: one
line on stderr (`lakehouse: <message>`, no traceback) and its exit status, turned into both in
one place (`lakehouse.cli.main`)."""

from __future__ import annotations


class LakehouseError(Exception):
    """An error said in one line; `exit_status` is what the command exits with."""

    exit_status = 1


class ConfigError(LakehouseError):
    """A setting that names something that is not there, or an argument of the wrong form
    (exit status 2, as argparse gives a usage error)."""

    exit_status = 2


class UserError(LakehouseError):
    """A mistake of the user's, said in one line with what to do (exit status 1)."""


class PipelineError(LakehouseError):
    """A run that failed (a dbt command, a gate, governance): nothing was published (exit
    status 1). The run is recorded in ops.run_history with the reason."""
