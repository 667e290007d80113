"""Job workers: Procrastinate in production, an in-process queue in embedded mode."""
