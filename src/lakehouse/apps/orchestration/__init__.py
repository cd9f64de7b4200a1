"""Workflows on Dagster (`lakehouse orchestrate`): the main job as a Dagster job of assets.

- `definitions.py` is the code location: every dbt model, seed and snapshot an asset (dbt's
  lineage is the asset graph), every dbt test an asset check, the landing feeds and the CRM
  table external source assets, and `published/gold` (the publication for BI tools) an asset
  downstream of gold. A file-arrival sensor, a daily schedule, and runs on demand start the
  job `lakehouse_run`; at most one run writes the warehouse at a time (a run queue limit).
- `instance.py` is the Dagster instance (`DAGSTER_HOME`, its `dagster.yaml`) and the command
  that serves the UI and the daemon.

The job runs the same phases as `lakehouse run` (pipeline.Run), through the same dbt seam.
"""
