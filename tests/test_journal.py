"""The learning log: what a participant writes is kept only as the guard's placeholders."""

from __future__ import annotations

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
