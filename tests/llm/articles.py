"""A small article and verdicts about it, shared by the llm tests."""

from __future__ import annotations

from typing import Any

from compliance_assistant.engine.document import Document
from compliance_assistant.engine.examples import example_document

ARTICLE = (
    "Save smarter with Acme Bank\n\n"
    "Earn 5% interest on your savings, every year.\n\n"
    "Open an account in minutes. Terms apply."
)

CLAIM = "Earn 5% interest on your savings"


def article() -> Document:
    return example_document(ARTICLE)


def finding(
    quote: str = CLAIM,
    block_id: str = "b1",
    severity: str = "error",
    suggestion: str = "Earn 5% AER on balances up to €10,000; the rate is variable.",
) -> dict[str, Any]:
    return {
        "quote": quote,
        "block_id": block_id,
        "explanation": "The benefit has no risks or conditions next to it.",
        "suggestion": suggestion,
        "severity": severity,
    }


def failing(*findings: dict[str, Any]) -> dict[str, Any]:
    return {"status": "fail", "findings": list(findings) or [finding()]}


PASSING: dict[str, Any] = {"status": "pass", "findings": []}
