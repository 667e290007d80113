"""Guideline sets over the API: shipped (read-only) and tenant versions, and their tests."""
