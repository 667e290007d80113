"""Storage adapters: database, cache and blob storage."""
