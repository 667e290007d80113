"""Fixtures shared by every test package: the real services the suite talks to."""

from tests.services import (  # noqa: F401  (pytest discovers fixtures by name)
    azurite_connection_string,
    postgres_url,
    redis_key_prefix,
    redis_url,
)
