"""`guidelines test --llm`: each llm guideline's examples judged by the model, accuracy reported."""

from __future__ import annotations

import pytest

from compliance_assistant.config import load_settings
from compliance_assistant.engine.examples import ExampleOutcome
from compliance_assistant.errors import InputError
from compliance_assistant.llm.examples import run_examples_llm, run_examples_with_judge
from tests.doubles.fixtures import judge_for, plan_of
from tests.doubles.llm_server import LlmDouble, Reply
from tests.llm.articles import failing, finding


def violation_of(guideline_id: str) -> str:
    return f"[b0 paragraph] Earn 5% on {guideline_id}!"


@pytest.mark.anyio
async def test_accuracy_per_guideline(double: LlmDouble) -> None:
    # "good": the model flags the violation and passes the compliant text.
    double.script(
        violation_of("good"),
        Reply(verdict=failing(finding(quote="Earn 5% on good!", block_id="b0"))),
    )
    # "lenient": the model passes everything, so its violation example fails.
    plan = plan_of("good", "lenient")
    async with judge_for(double) as judge:
        report = await run_examples_with_judge(plan, judge)
    by_id = {g.guideline_id: g for g in report.guidelines}
    assert (by_id["good"].passed, by_id["good"].total) == (2, 2)
    assert by_id["good"].ok
    assert (by_id["lenient"].passed, by_id["lenient"].total) == (1, 2)
    [missed] = [e for e in by_id["lenient"].examples if e.outcome is ExampleOutcome.FAILED]
    assert missed.expected == "violation"
    assert report.accuracy == pytest.approx(3 / 4)
    assert double.count() == 4  # one call per llm example


@pytest.mark.anyio
async def test_only_the_selected_guidelines_are_judged(double: LlmDouble) -> None:
    async with judge_for(double) as judge:
        report = await run_examples_with_judge(plan_of("a", "b"), judge, guideline_ids=["b"])
    assert [g.guideline_id for g in report.guidelines] == ["b"]
    assert double.count() == 2


@pytest.mark.anyio
async def test_an_example_the_model_could_not_judge_is_not_run(double: LlmDouble) -> None:
    double.script("Earn 5% AER on flaky", Reply(fault="malformed"))
    async with judge_for(double) as judge:
        report = await run_examples_with_judge(plan_of("flaky"), judge)
    [compliant] = [e for e in report.guidelines[0].examples if e.expected == "compliant"]
    assert compliant.outcome is ExampleOutcome.NOT_RUN
    assert "could not be used" in compliant.detail


@pytest.mark.anyio
async def test_without_a_configured_model_the_command_explains() -> None:
    settings = load_settings(llm={"provider": "none"})
    with pytest.raises(InputError, match="--llm needs a model"):
        await run_examples_llm(plan_of("x"), settings)


@pytest.mark.anyio
async def test_from_settings_end_to_end(double: LlmDouble) -> None:
    settings = load_settings(
        llm={
            "provider": "openai_compatible",
            "model": "local-judge",
            "base_url": double.openai_base_url,
        }
    )
    report = await run_examples_llm(plan_of("x"), settings)
    assert report.guidelines[0].total == 2
    assert double.requests[0].body["model"] == "local-judge"
