"""Runs one check in its own process, so a test can kill it (SIGKILL) half-way.

    python -m tests.pipeline.crash_worker --checkpoint-url URL --job-id ID \
        --llm-url http://127.0.0.1:PORT/v1 --guidelines g0,g1,...

The judge talks to the test double at ``--llm-url``; the verdict cache is off, so every
guideline that runs calls the double. Prints the result JSON when the check completes.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from compliance_assistant.config import LlmProvider, LlmSettings
from compliance_assistant.engine.document import Document
from compliance_assistant.engine.examples import example_document
from compliance_assistant.llm.judge import LlmJudge
from compliance_assistant.llm.models import create_chat_model
from compliance_assistant.pipeline.checkpoint import open_checkpointer
from compliance_assistant.pipeline.context import CheckContext
from compliance_assistant.pipeline.graph import run_check
from compliance_assistant.resilience.breaker import CircuitBreaker
from compliance_assistant.resilience.clock import SystemClock
from tests.doubles.fixtures import plan_of

ARTICLE = (
    "Acme Saver\n\nEarn 5% interest on your savings.\n\nWithdraw any time, no fees. Terms apply."
)


def crash_document() -> Document:
    return example_document(ARTICLE)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint-url", required=True)
    parser.add_argument("--job-id", required=True)
    parser.add_argument("--llm-url", required=True)
    parser.add_argument("--guidelines", required=True)
    args = parser.parse_args()
    settings = LlmSettings(
        provider=LlmProvider.OPENAI,
        model="judge-model",
        api_key="sk-test",
        base_url=args.llm_url,
        timeout_seconds=120,
    )
    judge = LlmJudge(
        create_chat_model(settings), breaker=CircuitBreaker("llm:openai", SystemClock())
    )
    try:
        async with open_checkpointer(args.checkpoint_url) as saver:
            result = await run_check(
                crash_document(),
                plan_of(*args.guidelines.split(",")),
                job_id=args.job_id,
                context=CheckContext(judge=judge),
                checkpointer=saver,
            )
    finally:
        await judge.aclose()
    sys.stdout.write(result.model_dump_json() + "\n")


if __name__ == "__main__":
    asyncio.run(main())
