"""Observability: Prometheus metrics and MLflow tracking of checks."""
