from pathlib import Path

import pytest

from compliance_assistant.catalog.guideline_sets import GuidelineCatalog, shipped_guidelines_dir
from compliance_assistant.engine.document import BlockKind, DocumentBuilder
from compliance_assistant.engine.run import run_plan
from compliance_assistant.errors import DefinitionInputError, NotFoundError

SET = """\
id: custom
version: 3
title: Custom
styles: [House]
guidelines:
  - id: hype
    title: No hype
    kind: rule
    rules: [House.Hype]
"""

HYPE = "extends: existence\nmessage: \"Avoid '%s'.\"\nlevel: warning\ntokens: [amazing]\n"
SHOUT = "extends: existence\nmessage: \"No shouting: '%s'.\"\nlevel: error\nraw: ['!!+']\n"
WEASEL = (
    "extends: substitution\nmessage: \"Use '%s' instead of '%s'.\"\nlevel: suggestion\n"
    "swap:\n  utilize: use\n"
)


def make_set(root: Path, text: str = SET) -> Path:
    folder = root / "custom"
    (folder / "styles" / "House").mkdir(parents=True)
    (folder / "guideline-set.yaml").write_text(text, encoding="utf-8")
    (folder / "styles" / "House" / "Hype.yml").write_text(HYPE, encoding="utf-8")
    (folder / "styles" / "House" / "Shout.yml").write_text(SHOUT, encoding="utf-8")
    return folder


def doc(text: str):  # type: ignore[no-untyped-def]
    builder = DocumentBuilder(source_format="text")
    builder.add(text, BlockKind.PARAGRAPH)
    return builder.build()


def test_shipped_set_is_found() -> None:
    catalog = GuidelineCatalog.create()
    ids = [e.guideline_set.id for e in catalog.entries()]
    assert "marketing-eu" in ids
    assert catalog.find("marketing-eu").path.parent.parent == shipped_guidelines_dir()


def test_find_by_id_version_folder_and_file(tmp_path: Path) -> None:
    folder = make_set(tmp_path)
    catalog = GuidelineCatalog.create([tmp_path])
    assert catalog.find("custom").guideline_set.version == 3
    assert catalog.find("custom@3").path == folder / "guideline-set.yaml"
    assert catalog.find(str(folder)).guideline_set.id == "custom"
    assert catalog.find(str(folder / "guideline-set.yaml")).guideline_set.id == "custom"
    with pytest.raises(NotFoundError, match="exists in version 3, not 9"):
        catalog.find("custom@9")
    with pytest.raises(NotFoundError, match="Known sets: custom, marketing-eu"):
        catalog.find("nope")


def test_unclaimed_style_rules_become_an_implicit_guideline(tmp_path: Path) -> None:
    make_set(tmp_path)
    plan = GuidelineCatalog.create([tmp_path]).plan("custom")
    ids = [g.id for g in plan.guideline_set.guidelines]
    assert ids == ["hype", "style.House"]
    assert [r.name for r in plan.rules_for("style.House")] == ["House.Shout"]
    result = run_plan(doc("An amazing offer!!!"), plan, job_id="j")
    by_id = {g.guideline_id: g for g in result.guidelines}
    hype = by_id["hype"].findings[0]
    assert (hype.span.quote, hype.severity.value) == ("amazing", "warning")  # rule level kept
    shout = by_id["style.House"].findings[0]
    assert (shout.span.quote, shout.severity.value) == ("!!!", "error")


def test_user_styles_path_is_applied(tmp_path: Path) -> None:
    make_set(tmp_path / "sets")
    styles = tmp_path / "my-styles" / "Plain"
    styles.mkdir(parents=True)
    (styles / "Weasel.yml").write_text(WEASEL, encoding="utf-8")
    catalog = GuidelineCatalog.create([tmp_path / "sets"], [tmp_path / "my-styles"])
    plan = catalog.plan("custom")
    assert "style.Plain" in [g.id for g in plan.guideline_set.guidelines]
    result = run_plan(doc("We utilize tools."), plan, job_id="j")
    finding = next(f for f in result.findings if f.guideline_id == "style.Plain")
    assert finding.suggestion is not None
    assert finding.suggestion.replacement == "use"
    assert finding.severity.value == "info"


def test_guideline_naming_a_missing_rule_is_an_error(tmp_path: Path) -> None:
    make_set(tmp_path, SET.replace("House.Hype", "House.Missing"))
    with pytest.raises(DefinitionInputError, match=r"names rule 'House\.Missing'"):
        GuidelineCatalog.create([tmp_path]).plan("custom")


def test_invalid_rule_file_error_names_file_and_line(tmp_path: Path) -> None:
    folder = make_set(tmp_path)
    bad = folder / "styles" / "House" / "Hype.yml"
    bad.write_text(
        "extends: existence\nmessage: x\ntokens: [a]\nflavour: salty\n", encoding="utf-8"
    )
    with pytest.raises(DefinitionInputError) as caught:
        GuidelineCatalog.create([tmp_path]).plan("custom")
    assert f"{bad}:4" in str(caught.value)
    assert "flavour" in str(caught.value)


def test_select_guidelines(tmp_path: Path) -> None:
    make_set(tmp_path)
    plan = GuidelineCatalog.create([tmp_path]).plan("custom")
    assert [g.id for g in plan.select(["hype"]).guideline_set.guidelines] == ["hype"]
    with pytest.raises(Exception, match="unknown guideline id"):
        plan.select(["nope"])


def test_listed_style_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    make_set(tmp_path, SET.replace("styles: [House]", "styles: [House, Nope]"))
    with pytest.raises(DefinitionInputError, match=r"lists style\(s\) Nope under 'styles'"):
        GuidelineCatalog.create([tmp_path]).plan("custom")
