"""The build: the main job (`lakehouse run`), what is pending in the landing zone, the run
history, publishing gold, column lineage and governance, the databricks target's environment."""
