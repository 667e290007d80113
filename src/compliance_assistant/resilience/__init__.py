"""Resilience for calls to outside services: retries, circuit breaker, shared rate limits."""
