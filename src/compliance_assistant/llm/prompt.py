"""Judge prompts: named, versioned template files rendered into chat messages.

The template (``prompts/<name>.md``) has a system part and a user part. The system part holds
the task and the rules only; the article goes into the user message, as blocks with ids,
between boundary lines carrying a marker derived from the article's own hash (an author cannot
forge the closing line without changing the hash). Changing a template's wording means a new
file and a new version: verdicts are cached and recorded under the version.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from string import Template

from compliance_assistant.engine.document import Document
from compliance_assistant.engine.guidelines import Guideline

PROMPT_NAME = "judge"
PROMPT_VERSION = "judge-v1"

_SYSTEM_MARK = "<!-- system -->"
_USER_MARK = "<!-- user -->"

REASK_NOTE = (
    "Your previous answer could not be used: {problem}. Answer again with only the JSON "
    "object described in the instructions, complete and valid, and nothing else."
)


@dataclass(frozen=True)
class PromptTemplate:
    version: str
    system: str
    user: Template


@dataclass(frozen=True)
class RenderedPrompt:
    version: str
    system: str
    user: str


@cache
def load_prompt(version: str = PROMPT_VERSION) -> PromptTemplate:
    """Read ``prompts/<version>.md`` shipped with the package (importlib.resources)."""
    text = (
        resources.files("compliance_assistant.llm")
        .joinpath("prompts", f"{version}.md")
        .read_text(encoding="utf-8")
    )
    head, found, user = text.partition(_USER_MARK)
    if not found or _SYSTEM_MARK not in head:
        raise ValueError(f"prompt {version} must have '{_SYSTEM_MARK}' and '{_USER_MARK}' parts")
    system = head.split(_SYSTEM_MARK, 1)[1].strip()
    return PromptTemplate(version=version, system=system, user=Template(user.strip() + "\n"))


def render_prompt(
    document: Document, guideline: Guideline, version: str = PROMPT_VERSION
) -> RenderedPrompt:
    template = load_prompt(version)
    marker = hashlib.sha256(document.text.encode("utf-8")).hexdigest()[:16]
    user = template.user.substitute(
        guideline_id=guideline.id,
        guideline_title=guideline.title,
        severity=guideline.effective_severity.value,
        instruction=" ".join(guideline.instruction.split()) or guideline.description,
        examples=_examples(guideline),
        boundary_start=f"<<<ARTICLE {marker} START>>>",
        boundary_end=f"<<<ARTICLE {marker} END>>>",
        article=article_blocks(document),
    )
    return RenderedPrompt(version=template.version, system=template.system, user=user)


def article_blocks(document: Document) -> str:
    """One line per block: ``[id kind] text`` (text outside any block is not sent)."""
    return "\n".join(
        f"[{block.id} {block.kind.value}] {document.block_text(block)}" for block in document.blocks
    )


def _examples(guideline: Guideline) -> str:
    lines: list[str] = []
    if guideline.examples.violation:
        lines.append("- examples that break the guideline:")
        lines.extend(f"  - {_one_line(text)}" for text in guideline.examples.violation)
    if guideline.examples.compliant:
        lines.append("- examples that follow the guideline:")
        lines.extend(f"  - {_one_line(text)}" for text in guideline.examples.compliant)
    return "\n".join(lines)


def _one_line(text: str) -> str:
    return '"' + " ".join(text.split()) + '"'
