"""ASGI entry points for servers that import the app by name (uvicorn, gunicorn)::

    uvicorn --factory compliance_assistant.api.asgi:create_production_app

Settings come from the environment (``COMPLIANCE_*``).
"""

from __future__ import annotations

from fastapi import FastAPI

from compliance_assistant.api.app import create_app
from compliance_assistant.config import load_settings


def create_production_app() -> FastAPI:
    return create_app(load_settings(), mode="production")


def create_embedded_app() -> FastAPI:
    return create_app(load_settings(), mode="embedded")
