"""Span-level scoring of the guard against a labelled set.

A gold span counts as found when a predicted span of the same type overlaps
it; a predicted span counts as correct when it overlaps a gold span of the
same type. Overlap, not exact boundaries, because where a name or address
ends ("Hr. Jensen" or "Jensen", with or without the town) matters less for
privacy than whether it was caught at all, and datasets disagree on it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Span:
    type: str
    start: int
    end: int

    def overlaps(self, other: Span) -> bool:
        return self.type == other.type and self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class Record:
    text: str
    spans: tuple[Span, ...]
    kind: str = ""


@dataclass
class Report:
    found: Counter = field(default_factory=Counter)  # gold spans recalled, per type
    gold: Counter = field(default_factory=Counter)
    correct: Counter = field(default_factory=Counter)  # predictions matching gold, per type
    predicted: Counter = field(default_factory=Counter)
    misses: list[tuple[str, str, str]] = field(default_factory=list)  # (type, value, text)
    false_alarms: list[tuple[str, str, str]] = field(default_factory=list)

    def recall(self, entity_type: str | None = None) -> float:
        found = self.found[entity_type] if entity_type else sum(self.found.values())
        gold = self.gold[entity_type] if entity_type else sum(self.gold.values())
        return found / gold if gold else 1.0

    def precision(self, entity_type: str | None = None) -> float:
        correct = self.correct[entity_type] if entity_type else sum(self.correct.values())
        predicted = self.predicted[entity_type] if entity_type else sum(self.predicted.values())
        return correct / predicted if predicted else 1.0

    def table(self) -> str:
        types = sorted(set(self.gold) | set(self.predicted))
        lines = [f"{'type':<12} {'gold':>5} {'recall':>7} {'pred':>5} {'precision':>9}"]
        for t in [*types, None]:
            lines.append(
                f"{t or 'ALLE':<12} {self.gold[t] if t else sum(self.gold.values()):>5} {self.recall(t):>7.3f} "
                f"{self.predicted[t] if t else sum(self.predicted.values()):>5} {self.precision(t):>9.3f}"
            )
        return "\n".join(lines)


def load(path: Path) -> list[Record]:
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            spans = tuple(Span(s["type"], s["start"], s["end"]) for s in raw["spans"])
            records.append(Record(raw["text"], spans, raw.get("kind", "")))
    return records


def score(records: Iterable[Record], predict: Callable[[str], list[Span]]) -> Report:
    report = Report()
    for record in records:
        predicted = predict(record.text)
        for gold in record.spans:
            report.gold[gold.type] += 1
            if any(gold.overlaps(p) for p in predicted):
                report.found[gold.type] += 1
            else:
                report.misses.append((gold.type, record.text[gold.start : gold.end], record.text))
        for p in predicted:
            report.predicted[p.type] += 1
            if any(p.overlaps(gold) for gold in record.spans):
                report.correct[p.type] += 1
            else:
                report.false_alarms.append((p.type, record.text[p.start : p.end], record.text))
    return report
