"""The guard against labelled Danish sets (invented people only), scored per word.

Two kinds of set:

* ``pii_da.jsonl``: written by the team that wrote the recognizers (case
  notes, letters, consultation responses, forms, chat prompts and hard
  negatives). An upper bound, not a measurement.
* ``pii_da_world_a/b/c.jsonl``: 128 documents written afterwards by writers
  who never saw the recognizers, in the genres the guard meets in real use:
  forum posts, e-mails with signatures, case notes, text copied from PDFs,
  parliamentary and council speeches, news, biographies, minutes and chats.
  The rules were developed against these, so they too are an upper bound.
* ``pii_da_world_d.jsonl``: 36 more documents written last and kept out of
  development (measured, never tuned on): the honest figure. Its test holds
  the bar the guard must keep on text it has not seen.

Recall is what the product promises (nothing personal reaches the model);
precision keeps the redacted text usable. A name with one word left visible
is a leak: see tests/pii_scoring.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pii_scoring import DIRECT_IDENTIFIERS, Record, Report, Span, load, score

from sandbox.guards import ENTITY_TYPES, Guard, Vault

DATA = Path(__file__).parent / "data"
OWN_SET = DATA / "pii_da.jsonl"
WORLD_SETS = tuple(DATA / f"pii_da_world_{part}.jsonl" for part in "abc")
HELD_OUT = DATA / "pii_da_world_d.jsonl"
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
    return _report(guard, [r for path in WORLD_SETS for r in load(path)], "pii_da_world_a + b + c")


@pytest.fixture(scope="module")
def held_out(guard: Guard) -> Report:
    return _report(guard, load(HELD_OUT), HELD_OUT.name)


def test_the_sets_are_large_varied_and_consistent() -> None:
    own_records = load(OWN_SET)
    assert len([s for r in own_records for s in r.spans]) >= 300
    assert sum(1 for r in own_records if not r.spans) >= 40  # hard negatives
    world_records = [r for path in WORLD_SETS for r in load(path)]
    assert len(world_records) >= 80
    assert len([s for r in world_records for s in r.spans]) >= 800
    genres = {"forum", "email", "sagsnotat", "pdf", "tale", "nyhed", "biografi", "referat", "sms"}
    assert {r.kind for r in world_records} == genres
    held_out = load(HELD_OUT)
    assert {r.kind for r in held_out} == genres and len([s for r in held_out for s in r.spans]) >= 360
    for record in own_records + world_records + held_out:
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


def test_text_never_tuned_on(held_out: Report) -> None:
    """The bar for real Danish text: direct identifiers ≥ 0.95 of their words masked, at precision ≥ 0.90."""
    direct = sorted(DIRECT_IDENTIFIERS & set(held_out.gold_words))
    assert held_out.token_recall(*direct) >= 0.95, held_out.leaks
    assert held_out.token_precision() >= 0.90, held_out.false_alarms
    for entity_type in ("CPR", "TELEFON"):
        assert held_out.token_recall(entity_type) == 1.0
