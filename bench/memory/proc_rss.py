"""Resident memory of running processes, read from ``/proc`` (Linux only).

A :class:`RssSampler` thread reads ``VmRSS`` of each watched process (and of its child
processes, should it have any) at a fixed interval and tags each sample with the benchmark's
current phase, so idle, load and after-load figures come from one series.
"""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

PROC = Path("/proc")


def status_kib(pid: int, key: str) -> int | None:
    """A ``kB`` field of ``/proc/PID/status`` (``VmRSS``, ``VmHWM``); None once it is gone."""
    try:
        lines = (PROC / str(pid) / "status").read_text().splitlines()
    except (FileNotFoundError, ProcessLookupError):
        return None
    for line in lines:
        if line.startswith(f"{key}:"):
            return int(line.split()[1])
    return None


def children(pid: int) -> list[int]:
    """Direct child processes (every thread's ``children`` list)."""
    found: list[int] = []
    try:
        tasks = list((PROC / str(pid) / "task").iterdir())
    except FileNotFoundError:
        return found
    for task in tasks:
        try:
            found.extend(int(child) for child in (task / "children").read_text().split())
        except FileNotFoundError:
            continue
    return found


def tree_rss_kib(pid: int) -> tuple[int | None, int]:
    """The process's own RSS and that of all its descendants together."""
    own = status_kib(pid, "VmRSS")
    descendants = 0
    pending = children(pid)
    while pending:
        child = pending.pop()
        descendants += status_kib(child, "VmRSS") or 0
        pending.extend(children(child))
    return own, descendants


@dataclass
class Series:
    """Samples of one process: (seconds since start, phase, own RSS KiB, descendants KiB)."""

    name: str
    pid: int
    samples: list[tuple[float, str, int, int]] = field(default_factory=list)

    def own_mib(self, phase: str) -> list[float]:
        return [own / 1024 for _, p, own, _ in self.samples if p == phase]

    def descendants_mib(self) -> float:
        return max((kids for *_, kids in self.samples), default=0) / 1024

    def summary(self, phases: tuple[str, ...]) -> dict[str, dict[str, float] | None]:
        result: dict[str, dict[str, float] | None] = {}
        for phase in phases:
            values = self.own_mib(phase)
            result[phase] = (
                {
                    "median": statistics.median(values),
                    "min": min(values),
                    "max": max(values),
                    "samples": len(values),
                }
                if values
                else None
            )
        return result


class RssSampler:
    """Samples every watched process each ``interval`` seconds until :meth:`stop`."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.phase = "start"
        self.series: dict[str, Series] = {}
        self._started = time.monotonic()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def watch(self, name: str, pid: int) -> None:
        with self._lock:
            self.series[name] = Series(name, pid)

    def start(self) -> RssSampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)

    def sample_once(self) -> None:
        now = time.monotonic() - self._started
        with self._lock:
            for series in self.series.values():
                own, descendants = tree_rss_kib(series.pid)
                if own is not None:
                    series.samples.append((now, self.phase, own, descendants))

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample_once()
            self._stop.wait(self.interval)
