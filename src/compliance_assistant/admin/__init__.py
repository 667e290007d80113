"""Operator endpoints and maintenance tasks."""
