"""Kafka client settings from the environment, and the topics the landing feeds declare.

Every `LAKEHOUSE_KAFKA_<NAME>` variable is the librdkafka property `<name>` (lowercase, `_` as
`.`): `LAKEHOUSE_KAFKA_BOOTSTRAP_SERVERS` is `bootstrap.servers` (default 127.0.0.1:9092),
`LAKEHOUSE_KAFKA_SECURITY_PROTOCOL`, `..._SASL_MECHANISM`, `..._SASL_USERNAME`,
`..._SASL_PASSWORD`, `..._SSL_CA_LOCATION` and so on (docs/streaming.md has Kafka, Event Hubs
and Confluent Cloud). No address or secret is in the repository.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from lakehouse.build.landing import SOURCES_YML, feed_metas
from lakehouse.errors import ConfigError, LakehouseError


class StreamError(LakehouseError):
    """The broker cannot be reached, refuses a client, or loses a message."""


PREFIX = "LAKEHOUSE_KAFKA_"
DEFAULT_BOOTSTRAP = "127.0.0.1:9092"
# read here rather than passed to librdkafka
NOT_CLIENT_SETTINGS = ("GROUP_ID",)


def client_config(env: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The librdkafka settings every client of the project uses (consumer, producer, admin)."""
    config = {"bootstrap.servers": DEFAULT_BOOTSTRAP, "log_level": "4"}  # warnings and errors
    for name, value in env.items():
        if name.startswith(PREFIX) and name[len(PREFIX):] not in NOT_CLIENT_SETTINGS and value:
            config[name[len(PREFIX):].lower().replace("_", ".")] = value
    return config


def group_id(default: str, env: Mapping[str, str] = os.environ) -> str:
    """The consumer group offsets are committed under (monitoring and other tools read them):
    LAKEHOUSE_KAFKA_GROUP_ID, else `default`."""
    return env.get(PREFIX + "GROUP_ID") or default


def feed_topics() -> dict[str, str]:
    """Landing feed -> the Kafka topic it also arrives on (`meta.kafka_topic` in
    models/bronze/_bronze__sources.yml), for the feeds that declare one."""
    topics = {name: meta["kafka_topic"] for name, meta in feed_metas().items()
              if meta.get("kafka_topic")}
    twice = sorted({t for t in topics.values() if list(topics.values()).count(t) > 1})
    if twice:
        raise ConfigError(f"{SOURCES_YML.name}: topic(s) {', '.join(twice)} mapped to more "
                          "than one feed")
    return topics
