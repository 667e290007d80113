"""JSON output: the Result contract for one input, a JSON array of them for several."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from compliance_assistant.reports import FileReport


def render_json(reports: Sequence[FileReport]) -> str:
    payloads = [r.result.model_dump(mode="json") for r in reports]
    body = payloads[0] if len(payloads) == 1 else payloads
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"
