import pytest

from compliance_assistant.engine.errors import DefinitionError
from compliance_assistant.engine.findings import Severity
from compliance_assistant.engine.guidelines import GuidelineKind, parse_guideline_set

VALID = """\
id: retail-banking-eu
version: 4
title: Retail banking — EU marketing
styles: [MarketingEU]
guidelines:
  - id: no-guarantees
    title: No guaranteed or risk-free returns
    kind: rule
    severity: error
    rules:
      - MarketingEU.Guarantees
      - name: NoRiskFree
        extends: existence
        message: "Avoid '%s'."
        tokens: [risk-free]
  - id: balanced-benefits
    title: Benefits are balanced by risks and conditions
    kind: llm
    severity: error
    instruction: >
      Every benefit claim must be accompanied by the significant conditions.
    examples:
      violation: ["Earn 5% interest on your savings!"]
      compliant: ["Earn 5% AER on balances up to €10,000; rate variable."]
  - id: gtc-consistency
    title: Claims agree with the product's GTC
    kind: gtc
    severity: error
"""


def test_design_example_parses() -> None:
    gset = parse_guideline_set(VALID, "set.yaml")
    assert gset.ref == "retail-banking-eu@4"
    assert [g.kind for g in gset.guidelines] == [
        GuidelineKind.RULE,
        GuidelineKind.LLM,
        GuidelineKind.GTC,
    ]
    rule = gset.guidelines[0]
    assert rule.rules == ("MarketingEU.Guarantees",)
    assert rule.inline_rules[0].name == "NoRiskFree"
    assert rule.inline_rules[0].definition["extends"] == "existence"
    assert rule.inline_rules[0].line == 12
    assert gset.guidelines[1].examples.compliant == (
        "Earn 5% AER on balances up to €10,000; rate variable.",
    )
    assert gset.get("gtc-consistency") is not None
    assert rule.effective_severity is Severity.ERROR


def test_definition_hash_changes_with_definition() -> None:
    first = parse_guideline_set(VALID, "a.yaml").guidelines[1]
    second = parse_guideline_set(VALID.replace("significant", "material"), "a.yaml").guidelines[1]
    assert first.definition_hash != second.definition_hash


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            VALID.replace("    severity: error\n    rules:", "    severity: fatal\n    rules:", 1),
            r"set.yaml:9: guidelines\.0\.severity: Input should be",
        ),
        (VALID.replace("kind: llm", "kind: magic"), r"set.yaml:18: guidelines\.1\.kind:"),
        (
            VALID.replace("    title: No guaranteed or risk-free returns\n", ""),
            r"set.yaml:6: guidelines\.0\.title: is required",
        ),
        (
            VALID.replace("styles: [MarketingEU]", "styles: [MarketingEU]\ncolour: blue"),
            r"set.yaml:5: colour: unknown key 'colour'",
        ),
        (
            VALID.replace(
                "    instruction: >\n      Every benefit claim must be accompanied "
                "by the significant conditions.\n",
                "",
            ),
            r"set.yaml:16: guidelines\.1: an 'llm' guideline needs an 'instruction'",
        ),
        (
            VALID.replace("id: balanced-benefits", "id: no-guarantees"),
            r"set.yaml:16: guidelines\.1\.id: duplicate guideline id 'no-guarantees'",
        ),
        (VALID.replace("version: 4", "version: 0"), r"set.yaml:2: version:"),
        ("- just\n- a list\n", r"set.yaml:1: a guideline set must be a YAML mapping"),
        (
            "id: x\nversion: 1\ntitle: t\nguidelines: []\n",
            r"set.yaml:4: guidelines: must be a non-empty list",
        ),
        (
            VALID.replace("      - name: NoRiskFree\n", "      - nameless: NoRiskFree\n"),
            r"set.yaml:12: guidelines\.0\.rules\.1: an inline rule needs a 'name'",
        ),
        (
            "id: x\nversion: 1\ntitle: t\nguidelines:\n  - id: a\n    title: A\n    kind: rule\n",
            r"set.yaml:5: guidelines\.0: a 'rule' guideline needs at least one entry",
        ),
        ("id: [unclosed\n", r"set.yaml:\d+: invalid YAML"),
    ],
)
def test_invalid_sets_name_file_line_and_key(text: str, expected: str) -> None:
    with pytest.raises(DefinitionError, match=expected):
        parse_guideline_set(text, "set.yaml")
