"""The guard against labelled Danish sets (invented people only), scored per word.

Two kinds of set:

* ``pii_da.jsonl``: written by the team that wrote the recognizers (case
  notes, letters, consultation responses, forms, chat prompts and hard
  negatives). An upper bound, not a measurement.
* ``pii_da_world_a.jsonl`` and ``pii_da_world_b.jsonl``: 88 documents
  written afterwards, without looking at the recognizers, in the genres the
  guard meets in real use: forum posts, e-mails with signatures, case notes,
  text copied from PDFs, parliamentary and council speeches, news,
  biographies and minutes.

Recall is what the product promises (nothing personal reaches the model);
precision keeps the redacted text usable. A name with one word left visible
is a leak: see tests/pii_scoring.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pii_scoring import Record, Report, Span, load, score

from sandbox.guards import ENTITY_TYPES, Guard, Vault

DATA = Path(__file__).parent / "data"
OWN_SET = DATA / "pii_da.jsonl"
WORLD_SETS = (DATA / "pii_da_world_a.jsonl", DATA / "pii_da_world_b.jsonl")
IDENTIFIERS = ["CPR", "EMAIL", "TELEFON", "IBAN", "CVR"]


def _report(guard: Guard, records: list[Record], title: str) -> Report:
    result = score(records, lambda text: [Span(e.type, e.start, e.end) for e in guard.check(text, Vault()).entities])
    print(f"\n{title}\n{result.table()}")
    return result


@pytest.fixture(scope="module")
def guard() -> Guard:
    return Guard()


@pytest.fixture(scope="module")
def own(guard: Guard) -> Report:
    return _report(guard, load(OWN_SET), OWN_SET.name)


@pytest.fixture(scope="module")
def world(guard: Guard) -> Report:
    return _report(guard, [r for path in WORLD_SETS for r in load(path)], "pii_da_world_a + b")


def test_the_sets_are_large_varied_and_consistent() -> None:
    own_records = load(OWN_SET)
    assert len([s for r in own_records for s in r.spans]) >= 300
    assert sum(1 for r in own_records if not r.spans) >= 40  # hard negatives
    world_records = [r for path in WORLD_SETS for r in load(path)]
    assert len(world_records) >= 80
    assert len([s for r in world_records for s in r.spans]) >= 800
    assert {r.kind for r in world_records} >= {"forum", "email", "sagsnotat", "pdf", "tale", "nyhed", "biografi"}
    for record in own_records + world_records:
        assert {s.type for s in record.spans} <= set(ENTITY_TYPES)
        for span in record.spans:
            assert 0 <= span.start < span.end <= len(record.text)
            assert record.text[span.start : span.end].strip() == record.text[span.start : span.end]


@pytest.mark.parametrize("which", ["own", "world"])
def test_token_recall(which: str, request: pytest.FixtureRequest) -> None:
    report: Report = request.getfixturevalue(which)
    assert report.token_recall() >= 0.97, report.leaks


@pytest.mark.parametrize("which", ["own", "world"])
@pytest.mark.parametrize("entity_type", IDENTIFIERS)
def test_identifiers_never_leak_a_word(which: str, entity_type: str, request: pytest.FixtureRequest) -> None:
    report: Report = request.getfixturevalue(which)
    assert report.token_recall(entity_type) == 1.0, [leak for leak in report.leaks if leak[0] == entity_type]


@pytest.mark.parametrize("which", ["own", "world"])
def test_token_precision(which: str, request: pytest.FixtureRequest) -> None:
    report: Report = request.getfixturevalue(which)
    assert report.token_precision() >= 0.90, report.false_alarms


def test_every_mention_of_a_person(world: Report) -> None:
    """Most persons have every mention masked, not just the first."""
    assert world.entity_recall("PERSON") >= 0.93
