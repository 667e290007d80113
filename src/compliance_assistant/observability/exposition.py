"""The ``/metrics`` payload, in one process or across several (prometheus-client's
multiprocess mode).

When ``PROMETHEUS_MULTIPROC_DIR`` is set, every process writes its counters and histograms
to files in that folder and a scrape of any process sums them (``MultiProcessCollector``):
that is what makes ``compliance api --workers N`` report the whole container. The folder
must be emptied before the processes start (:func:`prepare_multiprocess_dir`, called by the
CLI) and must not be shared by two process groups. Without the variable, the process's own
default registry is served.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST


def multiprocess_dir() -> Path | None:
    value = os.environ.get(MULTIPROC_ENV, "").strip()
    return Path(value) if value else None


def prepare_multiprocess_dir() -> Path | None:
    """Create the multiprocess folder and remove the files of earlier runs (the client's
    documented requirement: stale files would add old counts). No-op without the variable."""
    folder = multiprocess_dir()
    if folder is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    removed = 0
    for stale in folder.glob("*.db"):
        stale.unlink(missing_ok=True)
        removed += 1
    if removed:
        logger.info("removed %d metrics file(s) of an earlier run from %s", removed, folder)
    return folder


def process_exiting() -> None:
    """Drop this process's live gauges from the shared folder (multiprocess mode only)."""
    if multiprocess_dir() is not None:
        mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]  # untyped upstream


class _Joined:
    """What ``generate_latest`` needs of a registry: ``collect()``."""

    def __init__(self, collectors: Iterable[Collector]) -> None:
        self.collectors = list(collectors)

    def collect(self) -> Iterator[Metric]:
        for collector in self.collectors:
            yield from collector.collect()


def render(extra: Iterable[Collector] = ()) -> bytes:
    """The text exposition of all metrics plus ``extra`` (scrape-time collectors)."""
    folder = multiprocess_dir()
    if folder is not None:
        registry = CollectorRegistry()
        # prometheus-client leaves this constructor unannotated; it registers itself.
        MultiProcessCollector(registry, path=str(folder))  # type: ignore[no-untyped-call]
        output = generate_latest(registry)
    else:
        output = generate_latest(REGISTRY)
    extras = list(extra)
    if extras:
        output += generate_latest(_Joined(extras))
    return output
