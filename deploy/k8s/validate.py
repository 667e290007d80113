"""Render every kustomize overlay and validate the result, offline (``make ops-check``).

* Rendering: ``kubectl kustomize`` (or a standalone ``kustomize build``), the real tool.
* Kubernetes kinds: the JSON schemas shipped in the PyPI package ``kubernetes-validate``,
  strict (unknown fields are errors), for the Kubernetes version below.
* KEDA kinds (ScaledObject, TriggerAuthentication): no schema ships offline, so their
  documented required fields are checked here (keda.sh/docs: scaleTargetRef.name, triggers
  with type + metadata; the postgresql scaler's query and targetQueryValue and a connection;
  secretTargetRef entries with parameter, name and key).
* References between objects: Services, PDBs and HPAs must select or name something that
  the overlay renders; ConfigMaps a pod reads must be rendered; Secrets must be the one
  documented external Secret (never rendered: no secrets in git).

Usage: python deploy/k8s/validate.py [overlay ...]   (default: every overlay)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

K8S_DIR = Path(__file__).resolve().parent
KUBERNETES_VERSION = "1.31.0"
EXTERNAL_SECRETS = {"compliance-secrets"}
KEDA_API = "keda.sh/v1alpha1"

Manifest = dict[str, Any]


class ManifestError(Exception):
    """A rendered overlay is invalid; the message lists every problem."""


def overlays() -> list[str]:
    return sorted(path.name for path in (K8S_DIR / "overlays").iterdir() if path.is_dir())


def _kustomize_command(path: Path) -> list[str]:
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize", str(path)]
    if shutil.which("kustomize"):
        return ["kustomize", "build", str(path)]
    raise ManifestError(
        "neither kubectl nor kustomize is installed (kubectl ships kustomize: "
        "`kubectl kustomize`); cannot render the overlays"
    )


def render(overlay: str) -> list[Manifest]:
    completed = subprocess.run(
        _kustomize_command(K8S_DIR / "overlays" / overlay),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if completed.returncode != 0:
        raise ManifestError(f"{overlay}: kustomize failed: {completed.stderr.strip()}")
    return [doc for doc in yaml.safe_load_all(completed.stdout) if doc]


def name_of(manifest: Manifest) -> str:
    return f"{manifest['kind']}/{manifest['metadata']['name']}"


def _schema_problems(manifest: Manifest) -> list[str]:
    import kubernetes_validate
    from kubernetes_validate.utils import SchemaNotFoundError, ValidationError

    try:
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
    except ValidationError as exc:
        path = "/".join(str(part) for part in exc.path)
        return [f"{name_of(manifest)}: {path}: {exc.message}"]
    except SchemaNotFoundError:
        return [f"{name_of(manifest)}: no Kubernetes {KUBERNETES_VERSION} schema for this kind"]
    return []


def _require(manifest: Manifest, path: str) -> Iterator[str]:
    value: Any = manifest
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value or value[part] in (None, "", []):
            yield f"{name_of(manifest)}: {path} is required"
            return
        value = value[part]


def _keda_problems(manifest: Manifest, by_name: dict[str, Manifest]) -> list[str]:
    problems: list[str] = []
    kind = manifest["kind"]
    allowed_top = {"apiVersion", "kind", "metadata", "spec"}
    problems += [
        f"{name_of(manifest)}: unknown field {key}" for key in manifest.keys() - allowed_top
    ]
    if kind == "ScaledObject":
        problems += _require(manifest, "spec.scaleTargetRef.name")
        problems += _require(manifest, "spec.triggers")
        spec = manifest.get("spec", {})
        target = spec.get("scaleTargetRef", {})
        if f"{target.get('kind', 'Deployment')}/{target.get('name')}" not in by_name:
            problems.append(f"{name_of(manifest)}: scaleTargetRef names nothing rendered")
        low, high = spec.get("minReplicaCount", 0), spec.get("maxReplicaCount", 100)
        if not 0 <= low <= high:
            problems.append(f"{name_of(manifest)}: minReplicaCount must be <= maxReplicaCount")
        for index, trigger in enumerate(spec.get("triggers") or []):
            where = f"{name_of(manifest)}: triggers[{index}]"
            metadata = trigger.get("metadata")
            if not trigger.get("type") or not isinstance(metadata, dict):
                problems.append(f"{where}: type and metadata are required")
                continue
            if any(not isinstance(value, str) for value in metadata.values()):
                problems.append(f"{where}: metadata values must be strings")
            if trigger["type"] == "postgresql":
                for key in ("query", "targetQueryValue"):
                    if not metadata.get(key):
                        problems.append(f"{where}: postgresql needs metadata.{key}")
                auth = (trigger.get("authenticationRef") or {}).get("name")
                if not auth and not metadata.get("connectionFromEnv"):
                    problems.append(f"{where}: postgresql needs a connection")
                if auth and f"TriggerAuthentication/{auth}" not in by_name:
                    problems.append(f"{where}: authenticationRef {auth} is not rendered")
    elif kind == "TriggerAuthentication":
        refs = manifest.get("spec", {}).get("secretTargetRef") or []
        if not refs:
            problems.append(f"{name_of(manifest)}: spec.secretTargetRef is required")
        for ref in refs:
            if not all(ref.get(key) for key in ("parameter", "name", "key")):
                problems.append(f"{name_of(manifest)}: secretTargetRef needs parameter/name/key")
            elif ref["name"] not in EXTERNAL_SECRETS:
                problems.append(f"{name_of(manifest)}: unknown Secret {ref['name']}")
    else:
        problems.append(f"{name_of(manifest)}: no check for KEDA kind {kind}")
    return problems


def _pod_spec(manifest: Manifest) -> Manifest | None:
    if manifest["kind"] in ("Deployment", "Job"):
        spec: Manifest = manifest["spec"]["template"]["spec"]
        return spec
    return None


def _reference_problems(manifests: list[Manifest]) -> list[str]:
    problems = []
    rendered = {name_of(m) for m in manifests}
    pod_labels = {
        name_of(m): m["spec"]["template"]["metadata"]["labels"]
        for m in manifests
        if m["kind"] == "Deployment"
    }
    for manifest in manifests:
        spec = manifest.get("spec", {})
        selector = None
        if manifest["kind"] == "Service":
            selector = spec.get("selector")
        elif manifest["kind"] == "PodDisruptionBudget":
            selector = spec.get("selector", {}).get("matchLabels")
        if selector is not None and not any(
            selector.items() <= labels.items() for labels in pod_labels.values()
        ):
            problems.append(f"{name_of(manifest)}: selector matches no rendered pod")
        if manifest["kind"] == "HorizontalPodAutoscaler":
            target = spec["scaleTargetRef"]
            if f"{target['kind']}/{target['name']}" not in rendered:
                problems.append(f"{name_of(manifest)}: scaleTargetRef names nothing rendered")
        pod = _pod_spec(manifest)
        if pod is None:
            continue
        for container in pod["containers"]:
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    config = source["configMapRef"]["name"]
                    if f"ConfigMap/{config}" not in rendered:
                        problems.append(f"{name_of(manifest)}: ConfigMap {config} not rendered")
                if "secretRef" in source and source["secretRef"]["name"] not in EXTERNAL_SECRETS:
                    problems.append(f"{name_of(manifest)}: unknown Secret reference")
    problems += [f"{name}: Secrets must not be in git" for name in rendered if "Secret/" in name]
    return problems


def validate(manifests: list[Manifest]) -> list[str]:
    """Every problem of one rendered overlay (empty when valid)."""
    by_name = {name_of(m): m for m in manifests}
    problems: list[str] = []
    for manifest in manifests:
        if manifest.get("apiVersion") == KEDA_API:
            problems += _keda_problems(manifest, by_name)
        else:
            problems += _schema_problems(manifest)
    return problems + _reference_problems(manifests)


def main(argv: list[str]) -> int:
    failed = False
    for overlay in argv or overlays():
        try:
            manifests = render(overlay)
        except ManifestError as exc:
            print(f"FAIL {exc}")
            return 1
        problems = validate(manifests)
        kinds = ", ".join(sorted({m["kind"] for m in manifests}))
        if problems:
            failed = True
            print(f"FAIL {overlay}:")
            for problem in problems:
                print(f"  - {problem}")
        else:
            print(f"ok   {overlay}: {len(manifests)} objects valid ({kinds})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
