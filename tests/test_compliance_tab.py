"""The Log tab's views, rendered by the tab's own functions from entries the real pipeline wrote.

No browser: the handlers are called as Gradio would call them, with a role
check that lets the reviewer in, so what is asserted is exactly what the
table, the chart and the chain status would show.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd
import pytest
from test_audit import make_entry

from sandbox.audit import AuditLog
from sandbox.backends.base import GenerationParams
from sandbox.exercises import get_card
from sandbox.pipeline import Pipeline, Request, Session
from sandbox.ui.compliance import (
    ALL,
    CHART_LEAST_TOP,
    COLUMNS,
    NO_DETAILS,
    TEXT_CHARS,
    ComplianceTab,
    chart_plot,
)

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
    assert row["Fundet af værnet"] == "Adresse ×1, Navn ×1; art. 9: helbred ×2", "types and counts, never values"
    assert row["Beslutning"] == "maskeret"
    assert "[PERSON_1]" in row["Prompt (maskeret)"] and "Mette" not in row["Prompt (maskeret)"]

    chart, _, _ = tab.on_show(ALL, ALL, ALL, ALL, EXERCISE, None)  # type: ignore[arg-type]
    types = {row[chart.value["columns"].index("Type")] for row in chart.value["data"]}
    assert {"Adresse", "Navn"} <= types, "the chart's legend uses the same words"
    assert not types & {"ADRESSE", "PERSON"}


def test_the_chart_axis_reaches_the_highest_day_and_never_less_than_ten() -> None:
    """A short axis is spaced in half steps (a browser test sees its ticks); a long one must still show every bar."""
    columns = ["Dag", "Type", "Antal"]
    few = pd.DataFrame([["2026-01-05", "Navn", 1], ["2026-01-05", "CPR-nummer", 2]], columns=columns)
    assert chart_plot(few).y_lim == [0, CHART_LEAST_TOP] == [0, 10]
    more = pd.DataFrame([["2026-01-06", "Navn", 9], ["2026-01-06", "Adresse", 5]], columns=columns)
    assert chart_plot(pd.concat([few, more])).y_lim == [0, 14], "the day's types are stacked"
    assert chart_plot(pd.DataFrame(columns=columns)).y_lim == [0, 10]


def test_a_free_prompt_says_so(pipeline: Pipeline) -> None:
    result = pipeline.ask(Request("Hvad laver en sagsbehandler?", GenerationParams(max_tokens=2)), Session())
    assert result.log_id is not None
    row = shown_row(ComplianceTab(pipeline.log, reviewer), result.log_id)
    assert row["Fundet af værnet"] == "intet"


def clicked(tab: ComplianceTab, log_id: int) -> str:
    """The details under the table after a click on the row of ``log_id``, as gradio's select event calls it."""
    row = shown_row(tab, log_id)
    event = gr.SelectData(None, {"index": [0, 5], "value": row["Prompt (maskeret)"], "row_value": list(row.values())})
    return tab.on_select(event, None)  # type: ignore[arg-type]


def test_long_texts_are_cut_in_the_table_and_whole_in_the_details(tmp_path: Path) -> None:
    """The review found prompt and answer two screens to the right; a glance needs them short."""
    prompt = "Skriv et afslag til [PERSON_1] om boligstøtte.\n" + "Begrund med lovens krav. " * 20 + "SLUT-PROMPT"
    response = "Kære [PERSON_1].\n\n" + "Vi har behandlet din ansøgning. " * 20 + "SLUT-SVAR"
    session = "s-5f0c2e9a71d34b86a0e4c3b2d1f09a7e"
    with AuditLog(tmp_path / "log.sqlite3") as log:
        log_id = log.append(make_entry(prompt=prompt, response=response, session=session))
        tab = ComplianceTab(log, reviewer)
        row = shown_row(tab, log_id)
        details = clicked(tab, log_id)
    for column in ("Prompt (maskeret)", "Svar (maskeret)"):
        assert len(row[column]) <= TEXT_CHARS and row[column].endswith("…"), column
        assert "\n" not in row[column], "one line in the table"
    assert row["Prompt (maskeret)"].startswith("Skriv et afslag til [PERSON_1] om boligstøtte. Begrund")
    assert row["Session"].startswith("s-5f0c") and len(row["Session"]) < len(session)
    assert f"```text\n{prompt}\n```" in details and f"```text\n{response}\n```" in details, "in full, as written"
    assert f"| Session | {session} |" in details


def test_the_details_show_the_whole_record_of_a_real_entry(pipeline: Pipeline) -> None:
    request = Request(PROMPT, GenerationParams(max_tokens=4, seed=7), exercise_id=EXERCISE)
    result = pipeline.ask(request, Session())
    assert result.log_id is not None
    details = clicked(ComplianceTab(pipeline.log, reviewer), result.log_id)
    entry = pipeline.log.entry(result.log_id)
    assert entry is not None

    assert details.startswith(f"### Post {result.log_id}\n")
    assert f"| Øvelse | {get_card(EXERCISE).title} ({EXERCISE}) |" in details
    assert "| Fundet i prompten | Adresse ×1, Navn ×1 |" in details
    assert "| Art. 9-advarsler | helbred ×2 |" in details
    assert f"| Model | {pipeline.info.name} |" in details
    sha = re.search(r"\| Modelfilens sha256 \| `([0-9a-f]+)` \|", details)
    assert sha and len(sha.group(1)) == 64, "the full sha256 of the model file, not a prefix"
    assert "| Parametre (inkl. seed) | temperatur 0,7; top-p 0,95; " in details and "seed 7;" in details
    assert f"```text\n{entry['prompt']}\n```" in details
    for field in ("prev_hash", "content_hash", "hash"):
        assert f"`{entry[field]}`" in details, field
    for value in ("Mette", "Kirstine", "Sørensen", "Vestergade", "8000"):
        assert value not in details, "the details hold what the log holds: no found values"


def test_an_answer_that_failed_shows_the_error_in_the_table(tmp_path: Path) -> None:
    with AuditLog(tmp_path / "log.sqlite3") as log:
        log_id = log.append(make_entry(response=None, error="Modellen svarede ikke.", finish_reason=None))
        tab = ComplianceTab(log, reviewer)
        assert shown_row(tab, log_id)["Svar (maskeret)"] == "Fejl: Modellen svarede ikke."
        assert "**Fejl**\n\n```text\nModellen svarede ikke.\n```" in clicked(tab, log_id)


def test_a_prompt_cannot_break_out_of_its_block_or_cell(tmp_path: Path) -> None:
    prompt = "```\n# Overskrift | med streg\n```"
    with AuditLog(tmp_path / "log.sqlite3") as log:
        log_id = log.append(make_entry(prompt=prompt, session="s-a|b"))
        details = clicked(ComplianceTab(log, reviewer), log_id)
    assert f"````text\n{prompt}\n````" in details, "a fence longer than any inside the prompt"
    assert "| Session | s-a\\|b |" in details


def test_a_click_outside_any_entry_shows_the_hint(tmp_path: Path) -> None:
    with AuditLog(tmp_path / "log.sqlite3") as log:
        tab = ComplianceTab(log, reviewer)
        event = gr.SelectData(None, {"index": [0, 0], "value": 99, "row_value": [99]})
        assert tab.on_select(event, None) == NO_DETAILS  # type: ignore[arg-type]


def test_the_details_check_the_role_again(tmp_path: Path) -> None:
    with AuditLog(tmp_path / "log.sqlite3") as log:
        log_id = log.append(make_entry())
        tab = ComplianceTab(log, lambda _request: False)
        event = gr.SelectData(None, {"index": [0, 0], "value": log_id, "row_value": [log_id]})
        with pytest.raises(gr.Error):
            tab.on_select(event, None)  # type: ignore[arg-type]


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
