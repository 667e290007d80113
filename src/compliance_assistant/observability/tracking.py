"""MLflow tracking: one run per job, one experiment per guideline set.

Params: guideline set id and version, model, prompt version. Metrics: score, counts,
per-guideline durations, tokens, cost, check time. Artifact: ``result.json`` with the article
text taken out (finding quotes and suggested rewrites replaced by their length and hash, the
document title dropped). Logging runs on one background thread — MLflow's client is
synchronous, and one writer keeps an SQLite store free of lock contention — and jobs do not
wait for it; any failure is counted and logged, never raised: tracking must not fail a job.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import re
import sqlite3
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from compliance_assistant.engine.guidelines import GuidelineSet
from compliance_assistant.engine.result import CheckResult
from compliance_assistant.observability import metrics

logger = logging.getLogger(__name__)

_METRIC_KEY_UNSAFE = re.compile(r"[^A-Za-z0-9_\-./ ]")


def default_tracking_uri(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'mlflow.db'}"


class MlflowTracker:
    """Implements the pipeline's ``CheckTracker``."""

    def __init__(
        self,
        tracking_uri: str,
        *,
        artifact_root: Path | None = None,
        experiment_prefix: str = "guideline-set/",
        max_pending: int = 1000,
    ) -> None:
        # Set before mlflow is imported (it is imported lazily, on the logging thread).
        os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
        self.tracking_uri = tracking_uri
        self.artifact_root = artifact_root
        self.experiment_prefix = experiment_prefix
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mlflow")
        self._client: Any = None
        self._experiments: dict[str, str] = {}
        self._max_pending = max_pending
        self._pending: set[asyncio.Future[None]] = set()

    async def record(self, result: CheckResult, *, guideline_set: GuidelineSet) -> None:
        """Queue the job's run and return: the job does not wait for MLflow.

        Waits only when ``max_pending`` runs are already queued (MLflow slower than the jobs),
        so memory stays bounded. :meth:`flush` waits for the queue.
        """
        while len(self._pending) >= self._max_pending:
            await asyncio.wait(set(self._pending), return_when=asyncio.FIRST_COMPLETED)
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._executor, self._log_safely, result, guideline_set)
        self._pending.add(future)
        future.add_done_callback(self._pending.discard)

    async def flush(self) -> None:
        """Wait until every queued run is logged (or has failed)."""
        if self._pending:
            await asyncio.gather(*set(self._pending))

    async def aclose(self) -> None:
        await self.flush()
        await asyncio.to_thread(self._executor.shutdown, wait=True)

    # -- on the logging thread -----------------------------------------------------------

    def _log_safely(self, result: CheckResult, guideline_set: GuidelineSet) -> None:
        try:
            self._log(result, guideline_set)
        except Exception as exc:  # see module docstring
            metrics.TRACKING_FAILURES.inc()
            logger.warning("MLflow logging failed for job %s: %s", result.job_id, exc)

    def _log(self, result: CheckResult, guideline_set: GuidelineSet) -> str:
        from mlflow.entities import Metric, Param, RunTag

        client = self._mlflow()
        experiment_id = self._experiment(client, guideline_set)
        run = client.create_run(
            experiment_id,
            run_name=result.job_id,
            tags={"job_id": result.job_id, "guideline_set": guideline_set.ref},
        )
        run_id: str = run.info.run_id
        now = int(time.time() * 1000)
        params = {
            "guideline_set_id": guideline_set.id,
            "guideline_set_version": str(guideline_set.version),
            "model": result.model or "none",
            "prompt_version": result.prompt_version or "none",
        }
        client.log_batch(
            run_id,
            metrics=[Metric(key, value, now, 0) for key, value in _metrics(result).items()],
            params=[Param(key, value) for key, value in params.items()],
            tags=[RunTag("complete", str(result.complete).lower())],
        )
        _log_result_artifact(run.info.artifact_uri, redact(result))
        client.set_terminated(run_id, "FINISHED")
        return run_id

    def _mlflow(self) -> Any:
        if self._client is None:
            from mlflow.tracking import MlflowClient

            _prepare_sqlite(self.tracking_uri)
            self._client = MlflowClient(tracking_uri=self.tracking_uri)
        return self._client

    def _experiment(self, client: Any, guideline_set: GuidelineSet) -> str:
        name = f"{self.experiment_prefix}{guideline_set.id}"
        cached = self._experiments.get(name)
        if cached is not None:
            return cached
        found = client.get_experiment_by_name(name)
        if found is not None:
            experiment_id = str(found.experiment_id)
        else:
            location = None
            if self.artifact_root is not None:
                location = (self.artifact_root / guideline_set.id).resolve().as_uri()
            experiment_id = str(client.create_experiment(name, artifact_location=location))
        self._experiments[name] = experiment_id
        return experiment_id


def _log_result_artifact(artifact_uri: str, data: dict[str, Any]) -> None:
    """Write ``result.json`` into the run's artifact store.

    Straight to the store named by the run's artifact URI: ``MlflowClient.log_text`` would
    look the run up again first, which costs more than the rest of the run's logging.
    """
    from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

    with tempfile.TemporaryDirectory(prefix="mlflow-result-") as folder:
        path = Path(folder) / "result.json"
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
        repository: Any = get_artifact_repository(artifact_uri)  # mlflow leaves it untyped
        repository.log_artifact(str(path))


def _prepare_sqlite(uri: str) -> None:
    """Create the SQLite store's folder and switch the file to WAL before MLflow opens it."""
    if not uri.startswith("sqlite:///"):
        return
    path = Path(uri.removeprefix("sqlite:///"))
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode = WAL")


def _metrics(result: CheckResult) -> dict[str, float]:
    values: dict[str, float] = {
        "complete": 1.0 if result.complete else 0.0,
        "errors": float(result.summary.errors),
        "warnings": float(result.summary.warnings),
        "infos": float(result.summary.infos),
        "not_run": float(result.summary.not_run),
    }
    if result.score is not None:
        values["score"] = float(result.score)
    if result.usage is not None:
        values["input_tokens"] = float(result.usage.input_tokens)
        values["output_tokens"] = float(result.usage.output_tokens)
        values["cost"] = float(result.usage.cost)
    for name, value in result.timings.items():
        values[_metric_key(f"timing.{name}")] = float(value)
    for guideline in result.guidelines:
        if guideline.duration_ms is not None:
            values[_metric_key(f"duration_ms.{guideline.guideline_id}")] = guideline.duration_ms
    return values


def _metric_key(name: str) -> str:
    return _METRIC_KEY_UNSAFE.sub("_", name)


def redact(result: CheckResult) -> dict[str, Any]:
    """The result as JSON without article text: quotes and rewrites become length + hash."""
    data = result.model_dump(mode="json")
    if isinstance(data.get("document"), dict):
        data["document"].pop("title", None)
    for guideline in data.get("guidelines", []):
        for finding in guideline.get("findings", []):
            finding["span"]["quote"] = _fingerprint_of(finding["span"]["quote"])
            if finding.get("suggestion"):
                finding["suggestion"]["replacement"] = _fingerprint_of(
                    finding["suggestion"]["replacement"]
                )
    for warning in data.get("warnings", []):
        details = warning.get("details")
        if isinstance(details, dict) and "quotes" in details:
            details["quotes"] = [_fingerprint_of(q) for q in details["quotes"]]
    return data


def _fingerprint_of(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    return f"<redacted {len(text)} chars sha256:{digest}>"
