"""The shapes of the data stores' tables (loaded from stacks/data/*.json by the stack layer)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class CassandraTable:
    """A Cassandra/Keyspaces table: partition key, clustering columns with order, TTL."""

    name: str
    columns: tuple[tuple[str, str], ...]
    partition_key: tuple[str, ...]
    clustering: tuple[tuple[str, Literal["ASC", "DESC"]], ...]
    ttl_days: int
    comment: str

    @property
    def ttl_seconds(self) -> int:
        return self.ttl_days * 86400

    def cql(self, keyspace: str) -> str:
        """The CQL `CREATE TABLE` of the table (for Cassandra on K8ssandra and the docs)."""
        cols = ", ".join(f"{n} {t}" for n, t in self.columns)
        pk = ", ".join(self.partition_key)
        ck = ", ".join(c for c, _ in self.clustering)
        order = ", ".join(f"{c} {o}" for c, o in self.clustering)
        return (
            f"CREATE TABLE IF NOT EXISTS {keyspace}.{self.name} ({cols}, "
            f"PRIMARY KEY (({pk}), {ck})) WITH CLUSTERING ORDER BY ({order}) "
            f"AND default_time_to_live = {self.ttl_seconds};"
        )


@dataclass(frozen=True)
class KeyValueTable:
    """A DynamoDB table: hash key (and range key), TTL attribute, the store name config uses."""

    name: str
    hash_key: tuple[str, str]
    range_key: tuple[str, str] | None
    ttl_attribute: str
    store: str
    comment: str
