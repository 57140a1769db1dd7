"""The guard against the labelled Danish set in tests/data/pii_da.jsonl (synthetic people only).

Recall is what the product promises (nothing personal reaches the model);
precision keeps the redacted text usable. The set mixes case notes, letters,
consultation responses, forms, chat prompts and hard negatives (case
numbers, amounts, law references, dates, organisations, names that are also
words). Scoring: see tests/pii_scoring.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pii_scoring import Report, Span, load, score

from sandbox.guards import ENTITY_TYPES, Guard, Vault

DATASET = Path(__file__).parent / "data" / "pii_da.jsonl"


@pytest.fixture(scope="module")
def report() -> Report:
    guard = Guard()
    result = score(
        load(DATASET), lambda text: [Span(e.type, e.start, e.end) for e in guard.check(text, Vault()).entities]
    )
    print("\n" + result.table())
    return result


def test_the_set_is_large_varied_and_consistent() -> None:
    records = load(DATASET)
    spans = [s for r in records for s in r.spans]
    assert len(spans) >= 300
    assert {s.type for s in spans} == set(ENTITY_TYPES)
    assert sum(1 for r in records if not r.spans) >= 40  # hard negatives
    for record in records:
        for span in record.spans:
            assert 0 <= span.start < span.end <= len(record.text)
            assert record.text[span.start : span.end].strip() == record.text[span.start : span.end]


def test_overall_recall(report: Report) -> None:
    assert report.recall() >= 0.97, report.misses


@pytest.mark.parametrize("entity_type", ["CPR", "EMAIL", "TELEFON", "IBAN", "CVR"])
def test_recall_of_identifiers(report: Report, entity_type: str) -> None:
    assert report.recall(entity_type) >= 0.99, [m for m in report.misses if m[0] == entity_type]


def test_precision(report: Report) -> None:
    assert report.precision() >= 0.90, report.false_alarms
