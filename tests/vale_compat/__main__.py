"""``python -m tests.vale_compat``: print the full compatibility table."""

from __future__ import annotations

from tests.vale_compat.features import vale_testdata_root
from tests.vale_compat.harness import KindIndex, run_all
from tests.vale_compat.report import render

if __name__ == "__main__":
    root = vale_testdata_root()
    print(render(run_all(root), KindIndex(root)))
