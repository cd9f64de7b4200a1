"""Real-time: Kafka topics into the lakehouse (`lakehouse stream`), the simulator's events onto
Kafka (`lakehouse produce`) and a local Kafka-protocol broker for both (`lakehouse broker`).

The consumer works as Spark's Kafka source does: it assigns itself the topics' partitions and
keeps its own offsets, here in the landing zone itself (`landing.py`): each micro-batch of a
partition is written as one file named by its first and last offsets, atomically, before the
offsets are committed to Kafka, and a restarted consumer resumes after the last file. Bronze
then ingests those files exactly once (its ingest ledger), so a consumer or build killed at any
moment loses and repeats nothing.
"""
