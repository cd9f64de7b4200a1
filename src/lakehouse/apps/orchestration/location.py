"""The Dagster code location: `dagster dev -m lakehouse.apps.orchestration.location` (what
`lakehouse orchestrate` serves). Loading it parses the dbt project when it changed."""

from lakehouse.apps.orchestration.definitions import build_definitions

defs = build_definitions()
