"""The learning log: what a participant writes is kept only as the guard's placeholders."""

from __future__ import annotations

from sandbox.exercises.catalog import get_card
from sandbox.exercises.journal import Journal
from sandbox.pipeline import Pipeline, Session


def test_different_people_get_different_placeholders_across_fields_and_entries(pipeline: Pipeline) -> None:
    session, journal = Session(), Journal()
    first = journal.add(
        pipeline,
        session,
        "privatliv-journalnotat",
        tried="Notatet handlede om Karen Nielsen.",
        happened="Ole Hansen blev ikke nævnt af modellen.",
        learned="",
    )
    second = journal.add(pipeline, session, "bias-koen", tried="Nu om Ahmad Rahimi.", happened="", learned="")
    assert first.tried == "Notatet handlede om [PERSON_1]."
    assert first.happened == "[PERSON_2] blev ikke nævnt af modellen."
    assert second.tried == "Nu om [PERSON_3]."


def test_the_export_lists_the_cards_run_to_the_end_with_their_learning_goals(pipeline: Pipeline) -> None:
    journal = Journal()
    assert "_Ingen øvelser kørt til ende endnu._" in journal.to_markdown()
    journal.complete("bias-koen")
    journal.complete("mail-forste-skridt")
    journal.complete("bias-koen")
    journal.add(pipeline, Session(), "bias-koen", tried="Byttede køn.", happened="", learned="")
    markdown = journal.to_markdown()
    done = markdown.split("## Øvelser, jeg har gennemført", 1)[1].split("\n## ", 1)[0]
    items = [line for line in done.splitlines() if line.startswith("- ")]
    assert [item.split("`")[1] for item in items] == ["bias-koen", "mail-forste-skridt"], "each once, in order"
    goal = " ".join(get_card("mail-forste-skridt").learning_goal.split())
    assert items[1] == f"- **{get_card('mail-forste-skridt').title}** (`mail-forste-skridt`): {goal}"
    assert "**Det prøvede jeg:**" in markdown, "the written entries are still there"
