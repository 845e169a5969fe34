"""Observability components that run inside the clusters (telemetry agents)."""
