"""The check graph: fan-out per guideline, bounded concurrency, failures isolated, events."""

from __future__ import annotations

import asyncio
import time

import pytest

from compliance_assistant.engine.document import Document, Span
from compliance_assistant.engine.findings import FindingDraft, Severity, finalise_findings
from compliance_assistant.engine.guidelines import Guideline, GuidelineSet
from compliance_assistant.engine.ports import CheckUnavailableError, GuidelineVerdict
from compliance_assistant.engine.result import CheckResult, GuidelineResult
from compliance_assistant.engine.scoring import GuidelineStatus
from compliance_assistant.pipeline.context import CheckContext, PipelineLimits
from compliance_assistant.pipeline.events import CheckEvent
from compliance_assistant.pipeline.graph import run_check
from compliance_assistant.storage.memory_cache import MemoryCache
from tests.doubles.fixtures import judge_for, marker, plan_of, unique
from tests.doubles.llm_server import LlmDouble, Reply
from tests.llm.articles import CLAIM, article, failing, finding


class FakeGtc:
    """A GtcChecker: flags "no fees" against a clause, or fails the way it is told to."""

    def __init__(self, fail_with: Exception | None = None) -> None:
        self.fail_with = fail_with

    async def check(self, document: Document, guideline: Guideline) -> GuidelineVerdict:
        if self.fail_with is not None:
            raise self.fail_with
        start = document.text.index("Terms apply")
        draft = FindingDraft(
            guideline_id=guideline.id,
            severity=Severity.ERROR,
            message="Contradicts the GTC",
            span=Span(start=start, end=start + 11),
            source="gtc",
        )
        findings = finalise_findings(document, [draft])
        return GuidelineVerdict(
            result=GuidelineResult.from_findings(guideline, findings),
            gtc_documents=({"document_id": "gtc-1", "title": "Saver GTC"},),
        )


class Recorder:
    def __init__(self) -> None:
        self.results: list[CheckResult] = []

    async def record(self, result: CheckResult, *, guideline_set: GuidelineSet) -> None:
        self.results.append(result)


@pytest.mark.anyio
async def test_without_a_model_llm_guidelines_are_not_run_and_the_rest_completes() -> None:
    result = await run_check(
        article(),
        plan_of("balanced", gtc=True),
        job_id="job-1",
        context=CheckContext(),
        document_id="doc-1",
    )
    by_id = {g.guideline_id: g for g in result.guidelines}
    assert by_id["balanced"].status is GuidelineStatus.NOT_RUN
    assert "no LLM provider is configured" in (by_id["balanced"].reason or "")
    assert by_id["gtc-consistency"].status is GuidelineStatus.NOT_RUN
    assert "no GTC source" in (by_id["gtc-consistency"].reason or "")
    assert by_id["prompt-injection"].status is GuidelineStatus.PASS
    assert not result.complete
    assert result.summary.not_run == 2
    assert result.score == 100
    assert (result.job_id, result.document_id) == ("job-1", "doc-1")
    assert result.model is None
    assert result.prompt_version is None
    assert result.usage is None
    assert result.timings["check_ms"] > 0
    assert result.document is not None
    assert result.document.blocks == 3


@pytest.mark.anyio
async def test_ten_llm_guidelines_run_in_parallel(double: LlmDouble) -> None:
    double.latency = 1.0
    ids = [f"p{i}" for i in range(10)]
    async with judge_for(double) as judge:
        started = time.perf_counter()
        result = await run_check(
            article(),
            plan_of(*ids, gtc=True),
            job_id=unique("job"),
            context=CheckContext(judge=judge, gtc=FakeGtc()),
        )
        elapsed = time.perf_counter() - started
    assert elapsed < 4.0, f"10 guidelines at 1 s each took {elapsed:.1f} s"
    assert double.count() == 10
    assert double.max_in_flight == 10
    assert all(g.status is GuidelineStatus.PASS for g in result.guidelines if g.guideline_id in ids)
    assert result.model == "judge-model"
    assert result.prompt_version == "judge-v1"
    assert result.usage is not None
    assert result.usage.input_tokens == 1200


@pytest.mark.anyio
async def test_concurrency_is_bounded_per_job(double: LlmDouble) -> None:
    double.latency = 0.15
    async with judge_for(double) as judge:
        context = CheckContext(judge=judge, limits=PipelineLimits(max_branches_per_job=3))
        await run_check(
            article(), plan_of(*[f"c{i}" for i in range(7)]), job_id=unique("job"), context=context
        )
    assert double.count() == 7
    assert double.max_in_flight == 3


@pytest.mark.anyio
async def test_concurrency_is_bounded_per_process_across_jobs(double: LlmDouble) -> None:
    double.latency = 0.15
    async with judge_for(double) as judge:
        context = CheckContext(judge=judge, branch_slots=asyncio.Semaphore(2))
        await asyncio.gather(
            *(
                run_check(
                    article(),
                    plan_of(f"a{j}", f"b{j}", f"c{j}"),
                    job_id=unique("job"),
                    context=context,
                )
                for j in range(3)
            )
        )
    assert double.count() == 9
    assert double.max_in_flight == 2


@pytest.mark.anyio
async def test_gtc_branch_uses_the_checker_and_aggregates_by_position(double: LlmDouble) -> None:
    double.script(marker("balanced"), Reply(verdict=failing(finding(severity="warning"))))
    async with judge_for(double) as judge:
        result = await run_check(
            article(),
            plan_of("balanced", gtc=True),
            job_id=unique("j"),
            context=CheckContext(judge=judge, gtc=FakeGtc()),
        )
    by_id = {g.guideline_id: g for g in result.guidelines}
    assert by_id["gtc-consistency"].status is GuidelineStatus.FAIL
    assert by_id["balanced"].status is GuidelineStatus.WARNING
    assert result.gtc_documents == ({"document_id": "gtc-1", "title": "Saver GTC"},)
    assert [f.span.quote for f in result.findings] == [CLAIM, "Terms apply"]
    assert (result.summary.errors, result.summary.warnings) == (1, 1)
    assert result.score is not None
    assert result.score <= 59
    assert result.complete


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("failure", "status", "reason"),
    [
        (RuntimeError("index corrupt"), GuidelineStatus.ERROR, "RuntimeError: index corrupt"),
        (
            CheckUnavailableError("Smart Search is down"),
            GuidelineStatus.NOT_RUN,
            "Smart Search is down",
        ),
    ],
)
async def test_a_failing_branch_does_not_sink_the_others(
    double: LlmDouble, failure: Exception, status: GuidelineStatus, reason: str
) -> None:
    async with judge_for(double) as judge:
        result = await run_check(
            article(),
            plan_of("x", "y", gtc=True),
            job_id=unique("j"),
            context=CheckContext(judge=judge, gtc=FakeGtc(failure)),
        )
    by_id = {g.guideline_id: g for g in result.guidelines}
    assert by_id["gtc-consistency"].status is status
    assert reason in (by_id["gtc-consistency"].reason or "")
    assert by_id["x"].status is GuidelineStatus.PASS
    assert by_id["y"].status is GuidelineStatus.PASS
    assert not result.complete


@pytest.mark.anyio
async def test_a_branch_over_its_time_limit_is_an_error() -> None:
    class SlowGtc:
        async def check(self, document: Document, guideline: Guideline) -> GuidelineVerdict:
            await asyncio.sleep(5)
            raise AssertionError("not reached")

    context = CheckContext(gtc=SlowGtc(), limits=PipelineLimits(branch_timeout_seconds=0.2))
    started = time.perf_counter()
    result = await run_check(article(), plan_of(gtc=True), job_id=unique("j"), context=context)
    assert time.perf_counter() - started < 2
    [gtc] = [g for g in result.guidelines if g.guideline_id == "gtc-consistency"]
    assert gtc.status is GuidelineStatus.ERROR
    assert gtc.reason == "did not finish within 0.2 s (branch timeout)"


@pytest.mark.anyio
async def test_disabled_guidelines_are_not_run_and_not_called(double: LlmDouble) -> None:
    extra = (
        "  - id: switched-off\n    title: Switched off\n    kind: llm\n    enabled: false\n"
        "    instruction: Judge marker off-marker.\n"
    )
    async with judge_for(double) as judge:
        result = await run_check(
            article(),
            plan_of("kept", extra=extra),
            job_id=unique("j"),
            context=CheckContext(judge=judge),
        )
    [off] = [g for g in result.guidelines if g.guideline_id == "switched-off"]
    assert off.status is GuidelineStatus.NOT_RUN
    assert off.reason == "disabled in the guideline set"
    assert double.count(marker("off")) == 0
    assert double.count() == 1


@pytest.mark.anyio
async def test_events_report_each_guideline_then_the_result(double: LlmDouble) -> None:
    events: list[CheckEvent] = []

    async def listen(event: CheckEvent) -> None:
        events.append(event)

    async with judge_for(double) as judge:
        result = await run_check(
            article(),
            plan_of("e1", "e2", gtc=True),
            job_id="job-ev",
            context=CheckContext(judge=judge),
            on_event=listen,
        )
    kinds = [e.type for e in events]
    assert kinds[0] == "check.started"
    assert kinds[-1] == "check.completed"
    completed = [e for e in events if e.type == "guideline.completed"]
    assert sorted(e.guideline_id for e in completed) == [
        "e1",
        "e2",
        "gtc-consistency",
        "prompt-injection",
    ]
    assert [e.done for e in completed] == [1, 2, 3, 4]
    assert all(e.total == 4 and e.job_id == "job-ev" for e in completed)
    last = events[-1]
    assert last.type == "check.completed"
    assert last.score == result.score


@pytest.mark.anyio
async def test_a_failing_listener_does_not_fail_the_check() -> None:
    async def broken(event: CheckEvent) -> None:
        raise RuntimeError("subscriber gone")

    result = await run_check(
        article(), plan_of("x"), job_id=unique("j"), context=CheckContext(), on_event=broken
    )
    assert result.status == "completed"


@pytest.mark.anyio
async def test_verdicts_are_cached_by_guideline_model_prompt_and_article(double: LlmDouble) -> None:
    cache = MemoryCache()
    double.script(marker("c"), Reply(verdict=failing()))
    async with judge_for(double) as judge:
        context = CheckContext(judge=judge, cache=cache)
        first = await run_check(article(), plan_of("c"), job_id=unique("j"), context=context)
        second = await run_check(article(), plan_of("c"), job_id=unique("j"), context=context)
        assert double.count() == 1
        assert second.guidelines[0].findings == first.guidelines[0].findings
        assert second.usage is not None
        assert second.usage.input_tokens == 0
        # An edited guideline is a different key.
        edited = plan_of("c", extra="")
        edited_set = edited.guideline_set.model_copy(
            update={
                "guidelines": (
                    edited.guideline_set.guidelines[0].model_copy(
                        update={"instruction": "Judge marker c-marker, strictly."}
                    ),
                )
            }
        )
        from compliance_assistant.engine.plan import CheckPlan

        await run_check(
            article(),
            CheckPlan(guideline_set=edited_set, rules={}),
            job_id=unique("j"),
            context=context,
        )
        assert double.count() == 2
        # Cache off: every run calls the model.
        off = CheckContext(
            judge=judge, cache=cache, limits=PipelineLimits(verdict_cache_ttl_seconds=0)
        )
        await run_check(article(), plan_of("c"), job_id=unique("j"), context=off)
        assert double.count() == 3


@pytest.mark.anyio
async def test_errors_are_not_cached(double: LlmDouble) -> None:
    cache = MemoryCache()
    double.script(marker("e"), Reply(fault="malformed"))
    async with judge_for(double) as judge:
        context = CheckContext(judge=judge, cache=cache)
        await run_check(article(), plan_of("e"), job_id=unique("j"), context=context)
        await run_check(article(), plan_of("e"), job_id=unique("j"), context=context)
    assert double.count() == 4  # two asks per run, nothing cached
    assert len(cache) == 0


@pytest.mark.anyio
async def test_the_tracker_receives_the_result() -> None:
    recorder = Recorder()
    result = await run_check(
        article(), plan_of("x"), job_id=unique("j"), context=CheckContext(tracker=recorder)
    )
    assert recorder.results == [result]
