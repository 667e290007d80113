"""Azure infrastructure as code (Terraform, deploy/azure): parsed with python-hcl2 and checked
for the resources and settings the issue and the reference architectures ask for. terraform
itself (fmt, validate, plan) is not installable from this machine's registries."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hcl2
import pytest

from compliance_assistant.config import RetentionSettings
from tests.ops.promql import DEPLOY
from tests.ops.test_compose import setting_names

AZURE = DEPLOY / "azure"
TF_FILES = sorted(AZURE.rglob("*.tf"))


def _clean(value: Any) -> Any:
    """python-hcl2 keeps string quotes and block markers; drop both."""
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items() if k != "__is_block__"}
    if isinstance(value, list):
        return [_clean(item) for item in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def _load(folder: Path) -> dict[str, Any]:
    """Every top-level block of a Terraform folder, merged by kind."""
    merged: dict[str, Any] = {}
    for path in sorted(folder.glob("*.tf")):
        with path.open(encoding="utf-8") as handle:
            for kind, blocks in _clean(hcl2.load(handle)).items():
                merged.setdefault(kind, []).extend(blocks)
    return merged


def _resources(folder: Path) -> dict[str, dict[str, Any]]:
    found = {}
    for block in _load(folder).get("resource", []):
        for kind, named in block.items():
            for name, body in named.items():
                found[f"{kind}.{name}"] = body
    return found


def _modules(folder: Path) -> dict[str, dict[str, Any]]:
    return {name: body for block in _load(folder)["module"] for name, body in block.items()}


def _variables(folder: Path) -> dict[str, dict[str, Any]]:
    return {name: body for block in _load(folder)["variable"] for name, body in block.items()}


def test_every_file_parses() -> None:
    assert len(TF_FILES) >= 10
    for path in TF_FILES:
        with path.open(encoding="utf-8") as handle:
            assert hcl2.load(handle), path


def test_module_sources_exist() -> None:
    for root in (AZURE / "medium", AZURE / "large"):
        for name, module in _modules(root).items():
            assert (root / module["source"]).resolve().is_dir(), f"{root.name}: {name}"


def test_region_module_has_the_container_apps_and_data_services() -> None:
    resources = _resources(AZURE / "modules/region")
    assert {
        "azurerm_container_app_environment.main",
        "azurerm_container_app.api",
        "azurerm_container_app.worker",
        "azurerm_container_app_job.migrate",
        "azurerm_postgresql_flexible_server.main",
        "azurerm_postgresql_flexible_server.read_replica",
        "azurerm_postgresql_flexible_server_configuration.pgbouncer",
        "azurerm_redis_cache.main",
    } <= resources.keys()
    api = resources["azurerm_container_app.api"]["template"][0]
    assert api["http_scale_rule"][0]["concurrent_requests"] == "100"
    assert api["custom_scale_rule"][0]["metadata"] == {"type": "Utilization", "value": "70"}
    probes = api["container"][0]
    assert probes["liveness_probe"][0]["path"] == "/health/live"
    assert probes["readiness_probe"][0]["path"] == "/health/ready"
    worker = resources["azurerm_container_app.worker"]["template"][0]["custom_scale_rule"][0]
    assert worker["custom_rule_type"] == "postgresql"
    assert "FROM jobs WHERE status IN ('queued', 'processing')" in worker["metadata"]["query"]
    assert worker["authentication"][0]["trigger_parameter"] == "connection"
    pgbouncer = resources["azurerm_postgresql_flexible_server_configuration.pgbouncer"]
    assert (pgbouncer["name"], pgbouncer["value"]) == ("pgbouncer.enabled", "true")


def test_shared_module_storage_lifecycle_matches_the_retention_settings() -> None:
    resources = _resources(AZURE / "modules/shared")
    assert {
        "azurerm_storage_account.main",
        "azurerm_storage_management_policy.retention",
        "azurerm_key_vault.main",
        "azurerm_user_assigned_identity.app",
        "azurerm_log_analytics_workspace.main",
        "azurerm_application_insights.main",
    } <= resources.keys()
    rules = {
        rule["name"]: rule
        for rule in resources["azurerm_storage_management_policy.retention"]["rule"]
    }
    articles = rules["articles"]["actions"][0]["base_blob"][0]
    assert "tier_to_cool_after_days_since_modification_greater_than" in articles
    assert articles["delete_after_days_since_modification_greater_than"] == "${var.articles_days}"
    gtc = rules["gtc-documents"]["actions"][0]["base_blob"][0]
    assert gtc["delete_after_days_since_modification_greater_than"] == "${var.gtc_pdf_days}"
    # The defaults are the app's retention settings, in every root that sets them.
    defaults = RetentionSettings()
    for folder in ("modules/shared", "medium", "large"):
        variables = _variables(AZURE / folder)
        assert variables["articles_days"]["default"] == defaults.articles_days, folder
        assert variables["gtc_pdf_days"]["default"] == defaults.gtc_pdf_days, folder
    roles = {
        body["role_definition_name"]
        for name, body in resources.items()
        if name.startswith("azurerm_role_assignment.")
    }
    assert "Key Vault Secrets User" in roles


def test_medium_is_one_region_with_zrs_storage() -> None:
    modules = _modules(AZURE / "medium")
    assert modules["shared"]["storage_replication"] == "ZRS"
    region = modules["region"]
    assert region["api_replicas"] == {"min": 2, "max": 10}
    assert region["postgres_sku"] == "GP_Standard_D2ds_v4"
    assert region["redis_sku"]["name"] == "Basic"


def test_large_is_two_regions_behind_front_door_with_replicas() -> None:
    modules = _modules(AZURE / "large")
    assert modules["shared"]["storage_replication"] == "GZRS"
    assert modules["primary"]["local_read_replica"] is True
    assert modules["primary"]["postgres_zone_redundant_ha"] is True
    assert modules["secondary"]["primary"] is False
    assert modules["secondary"]["database_replica_of"] == "${module.primary.postgres_id}"
    assert modules["primary"]["location"] != modules["secondary"]["location"]
    resources = _resources(AZURE / "large")
    assert resources["azurerm_cdn_frontdoor_profile.main"]["sku_name"] == "Premium_AzureFrontDoor"
    group = resources["azurerm_cdn_frontdoor_origin_group.api"]
    assert group["health_probe"][0]["path"] == "/health/ready"
    weights = {
        resources[f"azurerm_cdn_frontdoor_origin.{name}"]["weight"]
        for name in ("primary", "secondary")
    }
    assert weights == {70, 30}


def test_environment_variables_are_real_settings() -> None:
    known = setting_names()
    for path in TF_FILES:
        names = set(re.findall(r"\bCOMPLIANCE_[A-Z0-9_]+", path.read_text(encoding="utf-8")))
        assert names - known == set(), f"{path}: not settings: {sorted(names - known)}"


@pytest.mark.parametrize("folder", ["medium", "large", "modules/secrets", "modules/region"])
def test_secret_variables_have_no_value_in_git(folder: str) -> None:
    for name, variable in _variables(AZURE / folder).items():
        if variable.get("sensitive"):
            assert variable.get("default") is None, f"{folder}: {name} has a default"
