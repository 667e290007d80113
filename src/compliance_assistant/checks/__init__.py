"""Checks as jobs: submission, status, results, feedback, cancellation and execution."""
