"""OpenAPI links: which response value feeds which later request.

A submitted job's ``job_id`` leads to its status, result, report, events, cancel and cache
entry; a listed job to its status; a finding in a result to its feedback; a created guideline
set's ``id`` to its versions and its examples run. Clients and generators read them, and the
fuzzing run (scripts/fuzz_api.py) follows them to test sequences on real ids rather than
made-up ones that only ever answer 404.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class Link(NamedTuple):
    source: tuple[str, str]  # (method, path) whose response carries the value
    statuses: tuple[str, ...]
    name: str
    target: tuple[str, str]
    parameter: str  # the target's path parameter
    expression: str  # an OpenAPI runtime expression into the source's response


_JOB = "/api/v1/jobs/{job_id}"
_SUBMIT = ("post", "/api/v1/compliance/check")
_SET = "/api/v1/guideline-sets"
_SUBMITTED_ID = "$response.body#/job_id"

LINKS = (
    *(
        Link(_SUBMIT, ("202", "200"), name, target, "job_id", _SUBMITTED_ID)
        for name, target in (
            ("JobStatus", ("get", f"{_JOB}/status")),
            ("JobResult", ("get", f"{_JOB}/result")),
            ("JobReport", ("get", f"{_JOB}/report")),
            ("JobEvents", ("get", f"{_JOB}/events")),
            ("CancelJob", ("delete", _JOB)),
            ("ClearJobCache", ("delete", "/api/v1/admin/cache/jobs/{job_id}")),
        )
    ),
    Link(
        ("get", "/api/v1/jobs"),
        ("200",),
        "FirstJobStatus",
        ("get", f"{_JOB}/status"),
        "job_id",
        "$response.body#/items/0/job_id",
    ),
    Link(
        ("get", f"{_JOB}/result"),
        ("200",),
        "FirstFindingFeedback",
        ("post", "/api/v1/findings/{finding_id}/feedback"),
        "finding_id",
        "$response.body#/guidelines/0/findings/0/id",
    ),
    Link(
        ("post", _SET),
        ("201",),
        "SetVersions",
        ("get", f"{_SET}/{{set_id}}"),
        "set_id",
        "$response.body#/id",
    ),
    Link(
        ("post", _SET),
        ("201",),
        "RunSetExamples",
        ("post", f"{_SET}/{{set_id}}/test"),
        "set_id",
        "$response.body#/id",
    ),
)


def add_links(schema: dict[str, Any]) -> None:
    """Add :data:`LINKS` to ``schema`` in place; a link whose operations are not in the
    schema (a route not mounted) is left out."""
    paths: dict[str, Any] = schema.get("paths", {})
    for link in LINKS:
        source = paths.get(link.source[1], {}).get(link.source[0])
        target = paths.get(link.target[1], {}).get(link.target[0])
        if source is None or target is None:
            continue
        for status in link.statuses:
            response = source.get("responses", {}).get(status)
            if response is None:
                continue
            response.setdefault("links", {})[link.name] = {
                "operationId": target["operationId"],
                "parameters": {link.parameter: link.expression},
            }
