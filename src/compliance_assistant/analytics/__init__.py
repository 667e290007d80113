"""Business analytics over the results tables (``GET /api/v1/analytics/summary``)."""
