"""Vale-compatible rules: compile rule definitions once, run them over Documents.

Public API::

    rule = parse_rule("Style.Rule", yaml_text, source="styles/Style/Rule.yml")
    rule = compile_rule("Style.Rule", {"extends": "existence", ...}, source="set.yml", line=12)
    alerts = run_rules(document, [rule, ...], config=LintOptions(min_alert_level="warning"))

Alerts carry code-point offsets into ``Document.text`` and Vale-style source line/column.
Spelling, sequence and script rules are recognised but not run: loading one raises
:class:`UnsupportedRuleKindError`, whose ``warning`` is a value a caller can show.
"""

from compliance_assistant.engine.rules.base import LEVELS, Action, Alert, Level, Rule
from compliance_assistant.engine.rules.builtin import builtin_rules, vocab_rules
from compliance_assistant.engine.rules.loader import (
    UNSUPPORTED_KINDS,
    RuleWarning,
    UnsupportedRuleKindError,
    compile_rule,
    parse_rule,
)
from compliance_assistant.engine.rules.runner import run_rules
from compliance_assistant.engine.rules.state import LintOptions

__all__ = [
    "LEVELS",
    "UNSUPPORTED_KINDS",
    "Action",
    "Alert",
    "Level",
    "LintOptions",
    "Rule",
    "RuleWarning",
    "UnsupportedRuleKindError",
    "builtin_rules",
    "compile_rule",
    "parse_rule",
    "run_rules",
    "vocab_rules",
]
