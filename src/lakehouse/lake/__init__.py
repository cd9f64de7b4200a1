"""Delta's table versions on the `lake` target (a DuckLake): history, time travel, restore,
the change feed, vacuum, optimize."""
