"""MLflow tracking: one run per job in the guideline set's experiment, no article text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compliance_assistant.engine.examples import example_document
from compliance_assistant.observability import metrics
from compliance_assistant.observability.tracking import MlflowTracker, default_tracking_uri
from compliance_assistant.pipeline.context import CheckContext
from compliance_assistant.pipeline.graph import run_check
from tests.doubles.fixtures import judge_for, marker, plan_of, unique
from tests.doubles.llm_server import LlmDouble, Reply

SECRET_SENTENCE = "Earn 5% interest on your savings"
TEXT = f"Acme Saver\n\n{SECRET_SENTENCE}, guaranteed by nobody.\n\nTerms apply."


@pytest.fixture(scope="module")
def tracking_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # One store for the module: creating MLflow's SQLite schema takes a few seconds.
    return tmp_path_factory.mktemp("mlflow")


@pytest.mark.anyio
async def test_one_run_per_job_without_article_text(double: LlmDouble, tracking_dir: Path) -> None:
    from mlflow.tracking import MlflowClient

    uri = default_tracking_uri(tracking_dir)
    tracker = MlflowTracker(uri, artifact_root=tracking_dir / "artifacts")
    verdict = {
        "status": "fail",
        "findings": [
            {
                "quote": SECRET_SENTENCE,
                "block_id": "b1",
                "explanation": "No risks shown.",
                "suggestion": "Earn 5% AER; variable.",
                "severity": "error",
            }
        ],
    }
    double.script(marker("tracked"), Reply(verdict=verdict, input_tokens=500, output_tokens=40))
    job_id = unique("job")
    try:
        async with judge_for(double) as judge:
            result = await run_check(
                example_document(TEXT),
                plan_of("tracked"),
                job_id=job_id,
                context=CheckContext(judge=judge, tracker=tracker),
            )
    finally:
        await tracker.aclose()
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("guideline-set/test-set")
    assert experiment is not None
    [run] = client.search_runs([experiment.experiment_id], f"tags.job_id = '{job_id}'")
    assert run.data.params == {
        "guideline_set_id": "test-set",
        "guideline_set_version": "3",
        "model": "judge-model",
        "prompt_version": "judge-v1",
    }
    assert run.data.metrics["score"] == result.score
    assert run.data.metrics["input_tokens"] == 500
    assert run.data.metrics["output_tokens"] == 40
    assert "cost" in run.data.metrics
    assert "duration_ms.tracked" in run.data.metrics
    assert "duration_ms.prompt-injection" in run.data.metrics
    assert run.info.status == "FINISHED"
    artifact = Path(
        client.download_artifacts(run.info.run_id, "result.json", str(tracking_dir / "download"))
    )
    stored = artifact.read_text(encoding="utf-8")
    assert SECRET_SENTENCE not in stored
    assert "Acme Saver" not in stored
    data = json.loads(stored)
    assert data["job_id"] == job_id
    assert data["guidelines"][0]["findings"][0]["span"]["quote"].startswith("<redacted")


@pytest.mark.anyio
async def test_an_unreachable_store_never_fails_the_job(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the store's folder should be")
    tracker = MlflowTracker(f"sqlite:///{blocker / 'mlflow.db'}")
    failures = metrics.TRACKING_FAILURES._value.get()
    try:
        result = await run_check(
            example_document(TEXT),
            plan_of("x"),
            job_id=unique("job"),
            context=CheckContext(tracker=tracker),
        )
    finally:
        await tracker.aclose()
    assert result.status == "completed"
    assert metrics.TRACKING_FAILURES._value.get() == failures + 1
