"""The metric registry: one entry per metric, with a description and whether higher is better."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    name: str            # key in metrics.json and the run table, e.g. "heldout_ppl"
    family: str          # the recipe-level switch it belongs to, e.g. "perplexity"
    description: str     # one line, shown in reports and the README
    higher_is_better: bool | None  # None: neither (a descriptive figure such as length)


class Registry:
    def __init__(self):
        self._metrics: dict[str, Metric] = {}
        self._families: list[str] = []

    def register(self, name: str, family: str, description: str, higher_is_better: bool | None) -> Metric:
        if name in self._metrics:
            raise ValueError(f"metric {name!r} is registered twice")
        metric = Metric(name, family, description, higher_is_better)
        self._metrics[name] = metric
        if family not in self._families:
            self._families.append(family)
        return metric

    def declare_family(self, family: str) -> None:
        if family not in self._families:
            self._families.append(family)

    def families(self) -> list[str]:
        return list(self._families)

    def __getitem__(self, name: str) -> Metric:
        return self._metrics[name]

    def __contains__(self, name: str) -> bool:
        return name in self._metrics

    def __iter__(self):
        return iter(self._metrics.values())


METRICS = Registry()
for _family in ("perplexity", "gen0_perplexity", "tail", "diversity", "formality"):
    METRICS.declare_family(_family)
