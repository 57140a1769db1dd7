"""The module a trainer runs, the training record it leaves, and the idébank's filters."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest

from sandbox.errors import UserError
from sandbox.exercises.catalog import get_card, load_idebank, load_programme
from sandbox.exercises.module import MODULE_PLAN, ModuleState, plans
from sandbox.ui.idebank_panel import IdebankPanel, ideas_html
from sandbox.ui.module_panel import module_html

START = datetime(2026, 12, 1, 9, 0).astimezone()


def test_the_module_and_every_mindset_path_can_be_started() -> None:
    found = plans()
    programme = load_programme()
    assert found[MODULE_PLAN].title == programme.module.title
    assert [step.title for step in found[MODULE_PLAN].steps] == [item.title for item in programme.module.agenda]
    for path in programme.paths:
        assert [step.cards for step in found[f"forloeb-{path.mindset}"].steps] == [(c,) for c in path.cards]


def run_module(*participants: str, steps: int = 2, end_after: int = 95) -> ModuleState:
    state = ModuleState()
    state.start(MODULE_PLAN, START)
    for step in range(1, steps + 1):
        state.go(step)
    for key in participants:
        state.note_card_run(key)
    state.finish(START + timedelta(minutes=end_after))
    return state


def test_the_record_holds_what_a_compliance_officer_asks_for() -> None:
    state = run_module("deltager1", "deltager2", "deltager1")
    assert state.run is not None
    record = state.run.record(None, START + timedelta(hours=5))
    agenda = load_programme().module.agenda
    assert record.steps == tuple(item.title for item in agenda[:3])
    assert [card.id for card in record.cards] == ["mail-forste-skridt", "tilfaeldighed-borgermail"]
    assert record.participants == 2, "one person running two cards is one participant"
    assert record.ended == START + timedelta(minutes=95), "the end is when the trainer finished, not the export"
    markdown = record.to_markdown()
    for line in (
        "- **Dato:** 01.12.2026",
        f"- **Modul:** {load_programme().module.title}",
        "- **Start:** kl. 09.00",
        "- **Slut:** kl. 10.35",
        "- **Varighed:** 1 t 35 min",
        "- **Deltagere:** 2 (talt som deltagere, der kørte mindst én øvelse)",
    ):
        assert line in markdown, line
    goal = " ".join(get_card("tilfaeldighed-borgermail").learning_goal.split())
    assert f"**Læringsmål:** {goal}" in markdown
    rows = list(csv.DictReader(io.StringIO(record.to_csv()), delimiter=";"))
    assert [row["Øvelse"] for row in rows] == ["mail-forste-skridt", "tilfaeldighed-borgermail"]
    assert rows[1]["Læringsmål"] == goal and rows[0]["Varighed (min)"] == "95" and rows[0]["Deltagere"] == "2"


def test_the_record_names_no_one_unless_the_trainer_types_their_name() -> None:
    state = run_module("kursist07", "Karen Nielsen")
    assert state.run is not None
    anonymous = state.run.record("   ", START)
    for text in (anonymous.to_markdown(), anonymous.to_csv()):
        assert "kursist07" not in text and "Karen" not in text and "Underviser:" not in text
    assert list(csv.DictReader(io.StringIO(anonymous.to_csv()), delimiter=";"))[0]["Underviser"] == ""
    named = state.run.record(" Anne   Jensen ", START)
    assert "- **Underviser:** Anne Jensen" in named.to_markdown()
    assert "kursist07" not in named.to_markdown()
    formula = state.run.record("=HYPERLINK(1)", START).to_csv()
    assert ";'=HYPERLINK(1);" in formula, "Excel must read a typed name as text, not as a formula"


def test_only_runs_during_a_module_count() -> None:
    state = ModuleState()
    state.note_card_run("before")
    state.start(MODULE_PLAN, START)
    state.note_card_run("during")
    state.finish(START + timedelta(minutes=30))
    state.note_card_run("after")
    assert state.run is not None and state.run.participants == 1
    with pytest.raises(UserError, match="ikke et modul i gang"):
        state.go(1)


def test_a_running_module_is_never_replaced_and_an_ended_one_gives_its_record_again() -> None:
    """The record is the evidence: a second Start must not wipe it, a lost download must not lose it."""
    state = ModuleState()
    state.start(MODULE_PLAN, START)
    with pytest.raises(UserError, match="Afslut det først"):
        state.start("forloeb-kritiske", START)
    ended = state.finish(START + timedelta(minutes=40))
    again = state.finish(START + timedelta(minutes=90))
    assert again is ended and again.ended == START + timedelta(minutes=40)
    assert state.start("forloeb-kritiske", START).plan.id == "forloeb-kritiske", "a new one once it has ended"


def test_the_record_says_which_cards_were_run_not_only_which_steps_were_reached() -> None:
    """Clicking through every step proves nothing: the record counts the runs of each card."""
    state = ModuleState()
    state.start(MODULE_PLAN, START)
    for step in range(1, len(plans()[MODULE_PLAN].steps)):
        state.go(step)
    first = next(card for step in plans()[MODULE_PLAN].steps for card in step.cards)
    state.note_card(first)
    state.note_card(first)
    state.finish(START + timedelta(minutes=6))
    record = state.run.record(None, START + timedelta(minutes=6))
    runs = {card.id: card.runs for card in record.cards}
    assert runs[first] == 2 and sum(runs.values()) == 2
    text = record.to_markdown()
    assert f"_Øvelse `{first}`, kørt 2 gange under modulet_" in text and "ikke kørt" in text
    assert record.to_csv().splitlines()[0].endswith(";Kørt under modulet (gange)")


def test_a_step_outside_the_plan_is_refused_and_the_version_moves_with_each_change() -> None:
    state = ModuleState()
    state.start("forloeb-kritiske", START)
    version = state.version
    with pytest.raises(UserError):
        state.go(-1)
    assert state.version == version
    state.go(3)
    assert state.version == version + 1
    page = module_html(state.run)
    current = page.split('aria-current="step"', 1)[1]
    assert current.split("</li>", 1)[0].count(get_card(plans()["forloeb-kritiske"].steps[3].cards[0]).title) == 1
    assert "Trin 4 af 7" in page


def test_idebank_filters_narrow_the_list() -> None:
    bank = load_idebank()
    assert len(bank.matching(None)) == len(bank.ideas) == 63
    in_area = bank.matching("resume")
    assert in_area and all(idea.area == "resume" for idea in in_area) and len(in_area) < 63
    now_and_time = bank.matching(None, ("tid",), ("nu",))
    assert now_and_time and all("tid" in i.gains and "nu" in i.horizon for i in now_and_time)
    either = bank.matching(None, ("tid", "service"))
    assert {i.id for i in either} == {i.id for i in bank.ideas if {"tid", "service"} & set(i.gains)}
    assert len(bank.matching(None, (), ("fremtid",))) < 63


def test_idebank_list_says_how_many_and_links_to_cards() -> None:
    panel = IdebankPanel()
    narrowed = panel.on_filter("resume", [], [])
    count = len(load_idebank().matching("resume"))
    assert f"Viser {count} af 63 idéer." in narrowed
    linked = next(idea for idea in load_idebank().ideas if idea.cards)
    page = ideas_html((linked,), 63)
    assert f'href="?ovelse={linked.cards[0]}"' in page
    assert "Ingen idéer passer" in ideas_html((), 63)
