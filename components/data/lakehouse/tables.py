"""The seed's order-analytics data products (architecture section 08, 'dbt Model Lineage'), as
Iceberg tables of the gold zone: one table, from which the Glue tables and the tests come."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IcebergColumn:
    name: str
    type: str
    required: bool = True
    doc: str = ""


@dataclass(frozen=True)
class IcebergTable:
    name: str
    description: str
    columns: tuple[IcebergColumn, ...]
    partition: tuple[str, str]
    """(column, Iceberg transform), e.g. ("order_ts", "day")."""


GOLD_TABLES: tuple[IcebergTable, ...] = (
    IcebergTable(
        "fct_orders",
        "Orders fact (dbt incremental, unique key order_id)",
        (
            IcebergColumn("order_id", "string", doc="unique key"),
            IcebergColumn("customer_id", "string"),
            IcebergColumn("order_ts", "timestamptz"),
            IcebergColumn("status", "string"),
            IcebergColumn("item_count", "int"),
            IcebergColumn("total_amount", "decimal(18,2)"),
            IcebergColumn("currency", "string"),
        ),
        ("order_ts", "day"),
    ),
    IcebergTable(
        "dim_customers",
        "Customers dimension (SCD type 2 snapshot)",
        (
            IcebergColumn("customer_sk", "long"),
            IcebergColumn("customer_id", "string"),
            IcebergColumn("country", "string", required=False),
            IcebergColumn("segment", "string", required=False),
            IcebergColumn("valid_from", "timestamptz"),
            IcebergColumn("valid_to", "timestamptz", required=False),
            IcebergColumn("is_current", "boolean"),
        ),
        ("valid_from", "month"),
    ),
    IcebergTable(
        "mart_revenue_daily",
        "Daily revenue mart (table, clustered by date)",
        (
            IcebergColumn("revenue_date", "date"),
            IcebergColumn("currency", "string"),
            IcebergColumn("orders", "long"),
            IcebergColumn("revenue", "decimal(18,2)"),
        ),
        ("revenue_date", "month"),
    ),
)
