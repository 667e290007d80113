"""A gtc guideline through the job service: the worker binds the job's tenant and product."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.api.harness import running_api, settings_for, unique
from tests.doubles.llm_server import LlmDouble

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[2]
GTC_SET = """id: {set_id}
version: 1
title: GTC consistency
guidelines:
  - id: gtc-consistency
    title: Claims agree with the product's GTC
    kind: gtc
    severity: error
"""


async def test_claims_are_checked_against_the_local_gtc_library(
    tmp_path: Path, llm_double: LlmDouble
) -> None:
    settings = settings_for(
        "embedded", tmp_path, llm_double, gtc={"library_path": ROOT / "samples" / "gtc"}
    )
    article = (ROOT / "samples" / "articles" / "gtc-easy-saver.md").read_text()
    async with running_api("embedded", settings, llm_double) as api:
        set_id = unique("gtc")
        await api.create_set(GTC_SET.format(set_id=set_id))
        result = await api.check(article, format="markdown", guideline_set=set_id)
        gtc = next(g for g in result["guidelines"] if g["guideline_id"] == "gtc-consistency")
        assert gtc["status"] == "fail"
        fee = next(f for f in gtc["findings"] if "fee" in f["message"])
        assert fee["evidence"][0]["document_id"] == "northbank-easy-saver-v3"
        assert fee["source"] == "gtc"
        # Naming another product narrows the search to it: the Easy Saver terms are not used.
        other = await api.check(
            article + "\n\nSee our other offers.",
            format="markdown",
            guideline_set=set_id,
            metadata={"product_id": "no-such-product"},
        )
        bound = next(g for g in other["guidelines"] if g["guideline_id"] == "gtc-consistency")
        assert bound["status"] == "not_run"
        assert bound["reason"]
