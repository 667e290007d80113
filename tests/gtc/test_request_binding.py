"""Through the real job path (API → queue → worker → pipeline), each job's gtc guideline is
checked with the job's tenant and its ``metadata.product_id``: jobs for different products get
their own GTC documents, and different tenants keep their own cached search results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.doubles.llm_server import LlmDouble
from tests.gtc.harness import RunningServer
from tests.gtc.service import GTC_SET, caller, keyed_api, smart_search

pytestmark = pytest.mark.anyio
ROLES = ["writer", "reviewer", "admin"]
# Names no product: only the request's product_id says which GTC applies.
ARTICLE = "# Our offer\n\nIt pays 5% AER, and you can borrow up to €50,000.\n"


def _gtc(result: dict[str, Any]) -> dict[str, Any]:
    guideline: dict[str, Any] = next(
        g for g in result["guidelines"] if g["guideline_id"] == "gtc-consistency"
    )
    return guideline


def _documents(result: dict[str, Any]) -> list[str]:
    return [d["gtc_id"] for d in result["gtc_documents"]]


def _cited(result: dict[str, Any]) -> dict[str, str]:
    return {f["span"]["quote"]: f["evidence"][0]["document_id"] for f in _gtc(result)["findings"]}


async def test_jobs_of_different_products_and_tenants_get_their_own_gtc(
    tmp_path: Path, double: LlmDouble, server: RunningServer
) -> None:
    async with keyed_api(tmp_path, double, smart_search(server)) as api:
        alice = await caller(api, "tenant-a", ROLES)
        bob = await caller(api, "tenant-b", ROLES)
        for who in (alice, bob):
            created = await who.post(
                "/api/v1/guideline-sets",
                content=GTC_SET.encode(),
                headers={"Content-Type": "application/yaml"},
            )
            assert created.status_code == 201, created.text
        searches = server.faults.count("/v1/search")

        saver = await alice.check(
            ARTICLE, guideline_set="gtc-check", metadata={"product_id": "Easy Saver"}
        )
        assert _documents(saver) == ["northbank-easy-saver-v3"]
        assert _gtc(saver)["status"] == "fail"
        assert _cited(saver) == {"5% AER": "northbank-easy-saver-v3"}

        loan = await bob.check(
            ARTICLE, guideline_set="gtc-check", metadata={"product_id": "FlexiLoan"}
        )
        assert _documents(loan) == ["northbank-flexiloan-v2.1"]
        assert _cited(loan) == {"€50,000": "northbank-flexiloan-v2.1"}
        assert server.faults.count("/v1/search") == searches + 2

        # Bob asks for the product Alice asked for: search results are cached per tenant,
        # so his job searches again instead of reading hers.
        bobs_saver = await bob.check(
            ARTICLE + "\nOpen one today.\n",
            guideline_set="gtc-check",
            metadata={"product_id": "Easy Saver"},
        )
        assert _documents(bobs_saver) == ["northbank-easy-saver-v3"]
        assert server.faults.count("/v1/search") == searches + 3

        # Alice's repeat is answered from her own cached search results.
        again = await alice.check(
            ARTICLE + "\nApply online.\n",
            guideline_set="gtc-check",
            metadata={"product_id": "Easy Saver"},
        )
        assert _documents(again) == ["northbank-easy-saver-v3"]
        assert server.faults.count("/v1/search") == searches + 3

        # Without a product_id no GTC is found for the article: not run, never a pass.
        unbound = await alice.check(ARTICLE + "\nAsk us.\n", guideline_set="gtc-check")
        assert _gtc(unbound)["status"] == "not_run"
        assert _gtc(unbound)["reason"] == (
            "no GTC document was found for the products named in the article"
        )
