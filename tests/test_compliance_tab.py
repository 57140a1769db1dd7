"""The Log tab's views, rendered by the tab's own functions from entries the real pipeline wrote.

No browser: the handlers are called as Gradio would call them, with a role
check that lets the reviewer in, so what is asserted is exactly what the
table, the chart and the chain status would show.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from test_audit import make_entry

from sandbox.audit import AuditLog
from sandbox.backends.base import GenerationParams
from sandbox.exercises import get_card
from sandbox.pipeline import Pipeline, Request, Session
from sandbox.ui.compliance import ALL, COLUMNS, ComplianceTab

# A name, an address and two health words: what the review saw as "ADRESSE ×1, PERSON ×1" and "HELBRED ×2".
PROMPT = "Skriv et brev til Mette Kirstine Sørensen, Vestergade 12, 8000 Aarhus C, om hendes sygemelding og diagnose."
EXERCISE = "bias-koen"


def reviewer(_request: Any) -> bool:
    return True


def shown_row(tab: ComplianceTab, log_id: int) -> dict[str, Any]:
    """The table row for one entry, by column name, as the tab's "Vis" fills it."""
    _, _, rows = tab.on_show(ALL, ALL, ALL, ALL, ALL, None)  # type: ignore[arg-type]
    row = next(row for row in rows if row[0] == log_id)
    return dict(zip(COLUMNS, row, strict=True))


def test_the_table_shows_danish_labels_and_the_exercise_title(pipeline: Pipeline) -> None:
    request = Request(PROMPT, GenerationParams(max_tokens=4), exercise_id=EXERCISE)
    result = pipeline.ask(request, Session())
    assert result.log_id is not None
    tab = ComplianceTab(pipeline.log, reviewer)

    row = shown_row(tab, result.log_id)
    assert row["Fundet i prompten"] == "Adresse ×1, Navn ×1"
    assert row["Art. 9"] == "helbred ×2"
    assert row["Øvelse"] == get_card(EXERCISE).title, "the title, as the Øvelse filter offers it"
    assert row["Beslutning"] == "maskeret"

    chart, _, _ = tab.on_show(ALL, ALL, ALL, ALL, EXERCISE, None)  # type: ignore[arg-type]
    assert {"Adresse", "Navn"} <= set(chart["Type"]), "the chart's legend uses the same words"
    assert not set(chart["Type"]) & {"ADRESSE", "PERSON"}


def test_a_free_prompt_says_so(pipeline: Pipeline) -> None:
    result = pipeline.ask(Request("Hvad laver en sagsbehandler?", GenerationParams(max_tokens=2)), Session())
    assert result.log_id is not None
    row = shown_row(ComplianceTab(pipeline.log, reviewer), result.log_id)
    assert (row["Øvelse"], row["Fundet i prompten"], row["Art. 9"]) == ("fri prompt", "intet", "")


def test_the_chain_status_says_intact_once_with_an_anchor(pipeline: Pipeline) -> None:
    pipeline.ask(Request("Hej", GenerationParams(max_tokens=2)), Session())
    status = ComplianceTab(pipeline.log, reviewer).on_verify(None)  # type: ignore[arg-type]
    verdict, anchor = status.split("\n\n")
    assert verdict.startswith("**Kæden er intakt.** ") and verdict.endswith(" poster kontrolleret.")
    assert status.lower().count("intakt") == 1
    assert anchor.startswith("Anker til næste kontrol: `")


def test_a_broken_chain_says_not_intact_once(tmp_path: Path) -> None:
    with AuditLog(tmp_path / "log.sqlite3") as log:
        log.append(make_entry())
        log.append(make_entry())
        con = sqlite3.connect(log.path)
        con.execute("UPDATE entries SET prompt = 'Skriv til Jens Hansen' WHERE id = 2")
        con.commit()
        con.close()
        status = ComplianceTab(log, reviewer).on_verify(None)  # type: ignore[arg-type]
    assert status.startswith("**Kæden er IKKE intakt.** Første brud: post 2. Indholdet af post 2")
    assert status.lower().count("intakt") == 1
    assert "Anker" not in status, "no anchor to note from a broken log"
