"""Feedback: the latest decision per (tenant, document, fingerprint), upserted."""

from __future__ import annotations

from datetime import timedelta

import pytest

from compliance_assistant.storage.db import Database, feedback
from tests.storage.conftest import T0

pytestmark = pytest.mark.anyio


async def test_upsert_keeps_only_the_latest_decision(db: Database) -> None:
    async with db.session() as session:
        first = await feedback.record(
            session,
            "t1",
            document_id="doc",
            fingerprint="fp1",
            guideline_id="g1",
            action="dismiss",
            reason="approved by legal",
            actor="ann",
            now=T0,
            finding_id="f1-x",
            job_id="job-1",
        )
        assert (first.action, first.reason) == ("dismiss", "approved by legal")
    later = T0 + timedelta(minutes=5)
    async with db.session() as session:
        second = await feedback.record(
            session,
            "t1",
            document_id="doc",
            fingerprint="fp1",
            guideline_id="g1",
            action="accept",
            reason="rewrote it",
            actor="bob",
            now=later,
        )
        await feedback.record(
            session,
            "t1",
            document_id="doc",
            fingerprint="fp2",
            guideline_id="g2",
            action="dismiss",
            reason="false positive",
            actor="ann",
            now=later,
        )
        await feedback.record(
            session,
            "t2",
            document_id="doc",
            fingerprint="fp1",
            guideline_id="g1",
            action="dismiss",
            reason="other tenant",
            actor="eve",
            now=later,
        )
    assert (second.action, second.actor, second.created_at) == ("accept", "bob", later)
    async with db.session() as session:
        decisions = await feedback.for_document(session, "t1", "doc")
        assert await feedback.for_document(session, "t1", "other-doc") == {}
    assert set(decisions) == {"fp1", "fp2"}
    assert decisions["fp1"].action == "accept"
    assert decisions["fp1"].finding_id is None  # replaced wholesale by the latest decision
    assert decisions["fp2"].reason == "false positive"


async def test_remove_withdraws_a_decision(db: Database) -> None:
    async with db.session() as session:
        await feedback.record(
            session,
            "t1",
            document_id="doc",
            fingerprint="fp1",
            guideline_id="g1",
            action="dismiss",
            reason="r",
            actor="ann",
            now=T0,
        )
        assert not await feedback.remove(session, "t2", "doc", "fp1")
        assert await feedback.remove(session, "t1", "doc", "fp1")
        assert await feedback.get(session, "t1", "doc", "fp1") is None
