"""Vale's built-in rules that are not spelling: Vale.Repetition, Vale.Terms, Vale.Avoid.

``Vale.Terms`` and ``Vale.Avoid`` are generated from a Vocab's accept and reject lists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from compliance_assistant.engine.rules.base import Rule
from compliance_assistant.engine.rules.loader import compile_rule
from compliance_assistant.engine.rules.patterns import is_phrase

_SOURCE = "<built-in>"

_REPETITION: dict[str, Any] = {
    "extends": "repetition",
    "level": "error",
    "message": "'%s' is repeated!",
    "scope": "text",
    "alpha": True,
    "ignorecase": True,
    "tokens": [r"[^\s]+"],
    "action": {"name": "edit", "params": ["truncate", " "]},
}


def builtin_rules(levels: Mapping[str, str] | None = None) -> dict[str, Rule]:
    """The always-available ``Vale`` style rules (without spelling), keyed by name."""
    definition = dict(_REPETITION)
    if levels and "Vale.Repetition" in levels:
        definition["level"] = levels["Vale.Repetition"]
    return {"Vale.Repetition": compile_rule("Vale.Repetition", definition, source=_SOURCE)}


def vocab_rules(accepted: Sequence[str], rejected: Sequence[str]) -> dict[str, Rule]:
    """``Vale.Terms`` (accepted terms in their exact case) and ``Vale.Avoid`` (rejected)."""
    rules: dict[str, Rule] = {}
    # The match is case-insensitive, so a term is its own pattern; a match that already
    # equals the term (or fully matches it, for a pattern term) is not reported.
    swap = {(term.lower() if is_phrase(term) else term): term for term in accepted}
    if swap:
        rules["Vale.Terms"] = compile_rule(
            "Vale.Terms",
            {
                "extends": "substitution",
                "level": "error",
                "scope": "text",
                "message": "Use '%s' instead of '%s'.",
                "ignorecase": True,
                "vocab": False,
                "swap": swap,
            },
            source=_SOURCE,
        )
    if rejected:
        rules["Vale.Avoid"] = compile_rule(
            "Vale.Avoid",
            {
                "extends": "existence",
                "level": "error",
                "scope": "text",
                "message": "Avoid using '%s'.",
                "ignorecase": False,
                "tokens": list(rejected),
            },
            source=_SOURCE,
        )
    return rules
