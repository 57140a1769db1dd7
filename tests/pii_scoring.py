"""Scoring the guard per word, per mention and per person against a labelled set.

Privacy is lost one word at a time: "[PERSON_2] Frisk" still names Frisk. So
a gold word counts as protected only when a predicted span covers all of it,
whatever type the guard gave it (a name masked as an address is still
masked). The figures:

* **token recall**: protected gold words / gold words (per gold type too);
* **token precision**: predicted words inside a gold span / predicted words
  (a word is predicted when a predicted span touches it);
* **mention recall**: gold spans with every word protected / gold spans;
* **entity recall**: persons (one ``#N`` per person per document) with every
  word of every mention protected / persons; other types count per span.

Two file formats are read: the original one (``text`` plus ``spans`` with
offsets) and the marked-up one the real-world set uses, where each value is
written in place as ``⟦TYPE:value⟧`` or ``⟦PERSON#N:value⟧``.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

WORD = re.compile(r"[^\W_]+")
MARKER = re.compile(r"⟦([A-ZÆØÅ]+)(?:#(\d+))?:(.*?)⟧", re.DOTALL)
#: The types the product's promise is about first: what names or reaches a person.
DIRECT_IDENTIFIERS = frozenset({"PERSON", "TELEFON", "ADRESSE", "EMAIL", "CPR"})


@dataclass(frozen=True)
class Span:
    type: str
    start: int
    end: int
    entity: str = ""  # "PERSON#2": mentions of one person share it

    def overlaps(self, other: Span) -> bool:
        return self.type == other.type and self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class Record:
    text: str
    spans: tuple[Span, ...]
    kind: str = ""


def parse_markup(marked: str) -> tuple[str, tuple[Span, ...]]:
    """Plain text and gold spans from text with ``⟦TYPE#N:value⟧`` markers."""
    parts: list[str] = []
    spans: list[Span] = []
    position = 0  # in the marked-up text
    length = 0  # of the plain text so far
    for match in MARKER.finditer(marked):
        before = marked[position : match.start()]
        parts.append(before)
        length += len(before)
        entity_type, number, value = match.groups()
        entity = f"{entity_type}#{number}" if number else f"{entity_type}@{length}"
        spans.append(Span(entity_type, length, length + len(value), entity))
        parts.append(value)
        length += len(value)
        position = match.end()
    parts.append(marked[position:])
    text = "".join(parts)
    if "⟦" in text or "⟧" in text:
        raise ValueError(f"unbalanced marker in {marked[:80]!r}")
    return text, tuple(spans)


def load(path: Path) -> list[Record]:
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        raw = json.loads(line)
        kind = raw.get("kind") or raw.get("genre", "")
        if "spans" in raw:
            spans = tuple(
                Span(s["type"], s["start"], s["end"], f"{s['type']}@{s['start']}") for s in raw["spans"]
            )
            records.append(Record(raw["text"], spans, kind))
        else:
            text, spans = parse_markup(raw["text"])
            records.append(Record(text, spans, kind))
    return records


def words(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The words of ``text`` that lie in or touch [start, end)."""
    return [
        (m.start(), m.end())
        for m in WORD.finditer(text, max(0, start - 64), min(len(text), end + 64))
        if m.start() < end and start < m.end()
    ]


def _covered(word: tuple[int, int], predicted: list[Span]) -> bool:
    return any(p.start <= word[0] and word[1] <= p.end for p in predicted)


@dataclass
class Report:
    gold_words: Counter = field(default_factory=Counter)  # per gold type
    protected_words: Counter = field(default_factory=Counter)
    mentions: Counter = field(default_factory=Counter)
    protected_mentions: Counter = field(default_factory=Counter)
    entities: Counter = field(default_factory=Counter)
    protected_entities: Counter = field(default_factory=Counter)
    predicted_words: Counter = field(default_factory=Counter)  # per predicted type
    correct_words: Counter = field(default_factory=Counter)
    leaks: list[tuple[str, str, str, str]] = field(default_factory=list)  # (type, value, leaked words, context)
    false_alarms: list[tuple[str, str, str]] = field(default_factory=list)  # (type, words, context)

    @staticmethod
    def _ratio(part: Counter, whole: Counter, types: Iterable[str] | None) -> float:
        keys = set(whole) if types is None else set(types)
        total = sum(whole[k] for k in keys)
        return sum(part[k] for k in keys) / total if total else 1.0

    def token_recall(self, *types: str) -> float:
        return self._ratio(self.protected_words, self.gold_words, types or None)

    def mention_recall(self, *types: str) -> float:
        return self._ratio(self.protected_mentions, self.mentions, types or None)

    def entity_recall(self, *types: str) -> float:
        return self._ratio(self.protected_entities, self.entities, types or None)

    def token_precision(self) -> float:
        return self._ratio(self.correct_words, self.predicted_words, None)

    def table(self) -> str:
        lines = [f"{'type':<12} {'ord':>5} {'ord-recall':>10} {'omtaler':>8} {'omtale-r.':>9} {'enhed-r.':>9}"]
        for t in [*sorted(self.gold_words), None]:
            types = (t,) if t else ()
            lines.append(
                f"{t or 'ALLE':<12} {self.gold_words[t] if t else sum(self.gold_words.values()):>5} "
                f"{self.token_recall(*types):>10.3f} {self.mentions[t] if t else sum(self.mentions.values()):>8} "
                f"{self.mention_recall(*types):>9.3f} {self.entity_recall(*types):>9.3f}"
            )
        direct = sorted(DIRECT_IDENTIFIERS & set(self.gold_words))
        lines.append(f"direkte identifikatorer: ord-recall {self.token_recall(*direct):.3f}")
        lines.append(
            f"ord-præcision {self.token_precision():.3f} "
            f"({sum(self.correct_words.values())} af {sum(self.predicted_words.values())} maskerede ord)"
        )
        return "\n".join(lines)


def _context(text: str, start: int, end: int) -> str:
    return text[max(0, start - 40) : end + 40].replace("\n", "⏎")


def score(records: Iterable[Record], predict: Callable[[str], list[Span]]) -> Report:
    report = Report()
    for record in records:
        text = record.text
        predicted = predict(text)
        entity_ok: dict[str, bool] = {}
        entity_type: dict[str, str] = {}
        gold_words: set[tuple[int, int]] = set()
        for gold in record.spans:
            spans_words = words(text, gold.start, gold.end)
            gold_words.update(spans_words)
            leaked = [w for w in spans_words if not _covered(w, predicted)]
            report.gold_words[gold.type] += len(spans_words)
            report.protected_words[gold.type] += len(spans_words) - len(leaked)
            report.mentions[gold.type] += 1
            report.protected_mentions[gold.type] += not leaked
            entity_ok[gold.entity] = entity_ok.get(gold.entity, True) and not leaked
            entity_type[gold.entity] = gold.type
            if leaked:
                value = text[gold.start : gold.end]
                report.leaks.append(
                    (gold.type, value, " ".join(text[s:e] for s, e in leaked), _context(text, gold.start, gold.end))
                )
        for entity, ok in entity_ok.items():
            report.entities[entity_type[entity]] += 1
            report.protected_entities[entity_type[entity]] += ok
        for p in predicted:
            touched = words(text, p.start, p.end)
            wrong = [w for w in touched if w not in gold_words]
            report.predicted_words[p.type] += len(touched)
            report.correct_words[p.type] += len(touched) - len(wrong)
            if wrong:
                report.false_alarms.append(
                    (p.type, " ".join(text[s:e] for s, e in wrong), _context(text, p.start, p.end))
                )
    return report
