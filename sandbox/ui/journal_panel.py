"""The Læringslog under an exercise: what I tried, what happened, what I learned.

The log itself is :class:`sandbox.exercises.journal.Journal`; this panel is
its form. The journal lives on the tab's :class:`~sandbox.ui.state.Visit`
(server memory, never the browser), so it goes with the tab like the
guard's vault does. Every text is redacted by the guard before it is kept,
so the Markdown a participant downloads to bring to the next module holds
placeholders, not the citizen they happened to mention.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import gradio as gr

from sandbox.errors import UserError
from sandbox.exercises.journal import FIELDS, MAX_CHARS
from sandbox.pipeline import Pipeline
from sandbox.ui.events import INSTANT, refuse
from sandbox.ui.files import DOWNLOADS, Owner
from sandbox.ui.fold import fold
from sandbox.ui.gate import owner_of
from sandbox.ui.state import Visit

# The log is kept in server memory for this tab only (nothing is stored in the browser or on disk),
# so the one way to keep it is the download: a participant must hear that before closing the tab.
INTRO = (
    "Skriv et par linjer efter hver øvelse, og tag loggen med til næste modul. "
    "Værnet maskerer personoplysninger, før teksten gemmes. Loggen lister også de øvelser, "
    "du har kørt til ende: din egen dokumentation for, hvad du har lært. "
    "**Loggen findes kun i denne fane:** hent den, før du lukker eller genindlæser siden."
)


class JournalPanel:
    """Three text boxes, a save button and the log as a Markdown download."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    def build(self, choice: gr.Dropdown, visit: gr.State) -> None:
        """Create the panel (inside the current layout); ``choice`` is the selected exercise's id."""
        with fold("Læringslog: hvad prøvede du, hvad skete der, hvad lærte du?", "lp-journal"):
            gr.Markdown(INTRO)
            self.boxes = [gr.Textbox(label=label, lines=2, max_length=MAX_CHARS) for label in FIELDS.values()]
            with gr.Row():
                self.save = gr.Button("Gem i læringsloggen", elem_id="lp-journal-save")
                self.prepare = gr.Button("Eksportér læringsloggen", elem_id="lp-journal-export")
                self.download = gr.DownloadButton("Hent læringsloggen (Markdown)", value=None, visible=False)
            self.status = gr.Markdown()
        self.save.click(
            self.on_save,
            [choice, *self.boxes, visit],
            [self.status, *self.boxes, self.download],
            **INSTANT,
        )
        # Named: gradio would otherwise call it "on_export" too and give the Log tab's export a suffix.
        self.prepare.click(self.on_export, [visit], [self.download], api_name="laeringslog_eksport", **INSTANT)

    def on_export(self, visit: Visit, request: gr.Request | None = None) -> Any:
        """Offer the log as it stands (entries and cards completed), also before anything was written."""
        return gr.DownloadButton(value=str(self.export(visit, owner_of(request))), visible=True)

    def on_save(
        self,
        card_id: str | None,
        tried: str,
        happened: str,
        learned: str,
        visit: Visit,
        request: gr.Request | None = None,
    ) -> tuple[Any, ...]:
        """Redact and keep one entry; clear the boxes and offer the whole log for download."""
        if not card_id:
            raise refuse("Vælg den øvelse, du skriver om, først.", "Ingen øvelse valgt")
        try:
            entry = visit.journal.add(
                self.pipeline, visit.session, card_id, tried=tried or "", happened=happened or "", learned=learned or ""
            )
        except UserError as error:
            raise refuse(error.message, "Ikke gemt") from None
        count = len(visit.journal.entries)
        status = (
            f"**Gemt** under «{entry.exercise_title}». Læringsloggen har {count} indførsel{'er' if count > 1 else ''}."
        )
        path = self.export(visit, owner_of(request))
        return status, "", "", "", gr.DownloadButton(value=str(path), visible=True)

    def export(self, visit: Visit, owner: Owner) -> Path:
        """Write the visit's journal as Markdown to a fresh file for ``owner`` only, and return its path."""
        path = DOWNLOADS.new_file(owner, f"laeringslog-{datetime.now():%Y%m%d-%H%M%S}.md")
        with DOWNLOADS.open(path) as out:
            out.write(visit.journal.to_markdown().encode("utf-8"))
        return path
