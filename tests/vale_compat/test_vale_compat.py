"""The Vale compatibility target: Vale's own scenarios, scored alert by alert."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.vale_compat.features import parse_feature, vale_testdata_root
from tests.vale_compat.harness import KindIndex, run_all
from tests.vale_compat.report import render, totals

pytestmark = pytest.mark.vale_compat

ROOT = vale_testdata_root()


def test_vale_compatibility_target(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (ROOT / "features").is_dir(), (
        f"Vale test data not found at {ROOT}; set COMPLIANCE_VALE_TESTDATA"
    )
    outcomes = run_all(ROOT)
    report = render(outcomes, KindIndex(ROOT))
    (tmp_path / "vale-compat-report.txt").write_text(report, encoding="utf-8")
    with capsys.disabled():
        print("\n" + report)
    result = totals(outcomes)
    assert len({o.scenario.feature for o in outcomes}) == 13
    assert result.matched_ratio >= 0.95, report
    assert result.clean_ratio >= 0.90, report


def test_feature_files_are_parsed_into_steps_and_expectations() -> None:
    scenarios = parse_feature(ROOT / "features" / "checks.feature")
    existence = next(s for s in scenarios if s.name == "Existence")
    assert existence.steps == ['I test "checks/Existence"']
    assert existence.mode == "exactly"
    assert existence.expected[0] == 'test.md:3:6:write-good.E-Prime:Avoid using "is"'
    config = parse_feature(ROOT / "features" / "config.feature")
    assert all({"test.md", "test.py"} <= set(s.files) for s in config)
