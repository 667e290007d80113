"""Reading a Prometheus text exposition in tests (prometheus-client's own parser)."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.api.harness import Api


class Scrape:
    def __init__(self, text: str) -> None:
        self.text = text
        self.samples: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                key = (sample.name, frozenset(sample.labels.items()))
                self.samples[key] = sample.value

    def value(self, metric: str, /, **labels: str) -> float:
        """The sample's value; 0 when the series is absent (a counter not yet incremented)."""
        return self.samples.get((metric, frozenset(labels.items())), 0.0)

    def has(self, metric: str, /, **labels: str) -> bool:
        return (metric, frozenset(labels.items())) in self.samples

    def names(self) -> set[str]:
        return {name for name, _ in self.samples}


async def scrape(api: Api) -> Scrape:
    response = await api.client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return Scrape(response.text)
