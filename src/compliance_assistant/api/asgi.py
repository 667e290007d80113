"""ASGI entry points for servers that import the app by name (uvicorn, gunicorn)::

    uvicorn --factory compliance_assistant.api.asgi:create_production_app

Settings come from the environment (``COMPLIANCE_*``). Each factory configures the process's
logs and traces (server worker processes start fresh: ``--workers N`` spawns them).
"""

from __future__ import annotations

from fastapi import FastAPI

from compliance_assistant.api.app import create_app
from compliance_assistant.config import Settings, load_settings
from compliance_assistant.observability.logging import configure_logging
from compliance_assistant.observability.tracing import configure_tracing


def _observed(component: str) -> Settings:
    settings = load_settings()
    configure_logging(settings)
    configure_tracing(settings, component=component)
    return settings


def create_production_app() -> FastAPI:
    return create_app(_observed("api"), mode="production")


def create_embedded_app() -> FastAPI:
    return create_app(_observed("serve"), mode="embedded")
