"""The source side: the simulated retail source (`generator`), delivering its files by day,
and change data capture from PostgreSQL (Debezium)."""
