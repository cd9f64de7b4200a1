"""The errors the command line reports in one line (and the exit status it gives them)."""

from __future__ import annotations

from .config import ConfigError


class UserError(Exception):
    """A mistake of the user's, said in one line with what to do (exit status 1)."""


class PipelineError(Exception):
    """A run that failed (a dbt command, a gate, governance): nothing was published (exit
    status 1). The run is recorded in ops.run_history with the reason."""


__all__ = ["ConfigError", "PipelineError", "UserError"]
