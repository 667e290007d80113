"""Small builders shared by the rule tests (imported as tests.engine.rules.helpers)."""

from __future__ import annotations

from typing import Any

from compliance_assistant.engine.document import BlockKind, Document, DocumentBuilder
from compliance_assistant.engine.rules import Alert, LintOptions, Rule, compile_rule, run_rules


def doc(*blocks: str | tuple[str, BlockKind] | tuple[str, BlockKind, int]) -> Document:
    """A plain-text Document; a block is text, or (text, kind[, heading level])."""
    builder = DocumentBuilder(source_format="text")
    for block in blocks:
        if isinstance(block, str):
            builder.add(block, BlockKind.PARAGRAPH)
        elif len(block) == 2:
            builder.add(block[0], block[1])
        else:
            builder.add(block[0], block[1], level=block[2])
    return builder.build()


def rule(definition: dict[str, Any], name: str = "Test.Rule") -> Rule:
    return compile_rule(name, {"message": "'%s'", **definition}, source="test.yml", line=1)


def lint(document: Document, *rules: Rule, **options: Any) -> list[Alert]:
    return run_rules(document, list(rules), config=LintOptions(**options))


def matches(document: Document, definition: dict[str, Any], **options: Any) -> list[str]:
    """The matched texts of one rule, in order."""
    return [a.match for a in lint(document, rule(definition), **options)]
