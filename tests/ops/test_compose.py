"""compose.yaml (medium topology on one machine): the services the issue lists, settings that
exist and validate as a production configuration, files that exist. The Docker engine is not
available here; ``make ops-check`` adds ``docker compose config`` where the plugin exists."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from compliance_assistant.config import Settings, load_settings
from tests.ops.promql import REPO_ROOT

COMPOSE = yaml.safe_load((REPO_ROOT / "compose.yaml").read_text(encoding="utf-8"))
SERVICES: dict[str, Any] = COMPOSE["services"]
# ${NAME}, ${NAME:?message}, ${NAME:-default}
_VARIABLE = re.compile(r"\$\{(\w+)(?::[?-][^}]*)?\}")


def _names(model: type[BaseModel], prefix: str) -> set[str]:
    names = set()
    for field, info in model.model_fields.items():
        name = f"{prefix}{field.upper()}"
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names |= _names(annotation, f"{name}__")
        else:
            names.add(name)
    return names


def setting_names() -> set[str]:
    """Every environment variable the settings model reads (COMPLIANCE_A__B …)."""
    return _names(Settings, "COMPLIANCE_")


def test_the_medium_topology_services() -> None:
    assert set(SERVICES) >= {
        "postgres",
        "redis",
        "azurite",
        "mlflow",
        "prometheus",
        "grafana",
        "smart-search",
        "migrate",
        "api",
        "worker",
    }
    assert SERVICES["api"]["command"] == ["api"]
    assert SERVICES["api"]["deploy"]["replicas"] == 2
    assert SERVICES["worker"]["command"] == ["worker"]
    assert SERVICES["worker"]["deploy"]["replicas"] == 2
    assert SERVICES["migrate"]["command"] == ["migrate"]
    assert SERVICES["smart-search"]["command"][:2] == ["gtc", "serve-smart-search"]


def test_api_and_workers_start_after_a_successful_migration() -> None:
    for name in ("api", "worker"):
        depends = SERVICES[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["redis"]["condition"] == "service_healthy"
    assert SERVICES["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert SERVICES["migrate"]["restart"] == "no"


def test_app_environment_names_real_settings() -> None:
    known = setting_names()
    for name in ("api", "worker", "migrate"):
        unknown = {key for key in SERVICES[name]["environment"] if key.startswith("COMPLIANCE_")}
        assert unknown - known == set(), f"{name}: not settings: {sorted(unknown - known)}"


def test_app_environment_is_a_valid_production_configuration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secrets = {"POSTGRES_PASSWORD": "s3cr3t-pg-9f2", "SMART_SEARCH_API_KEY": "ss-key-5b1c9e2a"}
    secrets["API_KEY_PEPPER"] = "pepper-0123456789abcdef"
    for key, value in SERVICES["api"]["environment"].items():
        if key.startswith("COMPLIANCE_"):
            monkeypatch.setenv(key, _VARIABLE.sub(lambda m: secrets[m.group(1)], str(value)))
    settings = load_settings()
    assert settings.environment.value == "production"
    assert settings.database.url == (
        "postgresql+psycopg://compliance:s3cr3t-pg-9f2@postgres:5432/compliance"
    )
    assert settings.redis.url == "redis://redis:6379/0"
    assert settings.blob.backend.value == "azure"
    assert str(settings.gtc.smart_search_url) == "http://smart-search:8090/"


def test_secrets_come_from_the_environment_only() -> None:
    text = (REPO_ROOT / "compose.yaml").read_text(encoding="utf-8")
    required = set(re.findall(r"\$\{(\w+):\?", text))
    assert required == {
        "POSTGRES_PASSWORD",
        "SMART_SEARCH_API_KEY",
        "API_KEY_PEPPER",
        "GRAFANA_ADMIN_PASSWORD",
    }
    example = (REPO_ROOT / "deploy" / "compose.env.example").read_text(encoding="utf-8")
    assert {
        line.split("=")[0]
        for line in example.splitlines()
        if "=" in line and not line.startswith("#")
    } == required
    assert all(line.endswith("=") for line in example.splitlines() if line and line[0] != "#")


def test_mounted_files_exist_and_prometheus_scrapes_the_services() -> None:
    for name, service in SERVICES.items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (REPO_ROOT / source).exists(), f"{name} mounts missing {source}"
    prometheus = yaml.safe_load(
        (REPO_ROOT / "deploy/prometheus/prometheus.yml").read_text(encoding="utf-8")
    )
    targets = {
        job["job_name"]: job["dns_sd_configs"][0]
        for job in prometheus["scrape_configs"]
        if "dns_sd_configs" in job
    }
    assert targets["compliance-api"]["names"] == ["api"]
    assert targets["compliance-api"]["port"] == 8000
    assert targets["compliance-worker"]["names"] == ["worker"]
    worker_env = SERVICES["worker"]["environment"]
    assert worker_env["HEALTHCHECK_URL"] == (
        f"http://127.0.0.1:{targets['compliance-worker']['port']}/metrics"
    )
