"""Building the pipeline's dependencies from settings (what the CLI and the worker call)."""

from __future__ import annotations

from pathlib import Path

import pytest

from compliance_assistant.config import load_settings
from compliance_assistant.engine.scoring import GuidelineStatus
from compliance_assistant.pipeline.factory import pipeline_runtime
from compliance_assistant.pipeline.graph import run_check
from tests.doubles.fixtures import plan_of, unique
from tests.doubles.llm_server import LlmDouble
from tests.llm.articles import article


@pytest.mark.anyio
async def test_runtime_from_settings_runs_a_check(double: LlmDouble, tmp_path: Path) -> None:
    settings = load_settings(
        data_dir=tmp_path,
        llm={
            "provider": "openai_compatible",
            "model": "local",
            "base_url": double.openai_base_url,
            "max_concurrency": 4,
        },
        pipeline={"max_branches_per_job": 2},
        tracking={"enabled": False},
    )
    async with pipeline_runtime(settings) as runtime:
        assert runtime.checkpointer is not None
        assert runtime.context.judge is not None
        assert runtime.context.limits.max_branches_per_job == 2
        result = await run_check(
            article(),
            plan_of("a", "b", "c"),
            job_id=unique("job"),
            context=runtime.context,
            checkpointer=runtime.checkpointer,
        )
    assert (tmp_path / "checkpoints.db").exists()
    assert all(g.status is GuidelineStatus.PASS for g in result.guidelines)
    assert result.model == "local"
    assert double.max_in_flight <= 2


@pytest.mark.anyio
async def test_runtime_without_a_model_or_checkpoints(tmp_path: Path) -> None:
    settings = load_settings(
        data_dir=tmp_path, llm={"provider": "none"}, tracking={"enabled": False}
    )
    async with pipeline_runtime(settings, checkpoints=False) as runtime:
        assert runtime.checkpointer is None
        assert runtime.context.judge is None
        result = await run_check(
            article(), plan_of("a"), job_id=unique("job"), context=runtime.context
        )
    assert result.guidelines[0].status is GuidelineStatus.NOT_RUN
    assert not (tmp_path / "checkpoints.db").exists()
