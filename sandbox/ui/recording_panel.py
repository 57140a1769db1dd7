"""Saved runs beside the live run: what a real model did with the open card, and its replay.

The trainer records a card on a real model before the workshop
(``legeplads exercises record``, see :mod:`sandbox.exercises.recording`);
the file lies in the data folder's ``optagelser/``. When a card is opened,
this panel lists its saved runs that pass every check on load, shows the
newest under "Optaget med <model> den <dato>" next to the demo model's live
result, and "Afspil" streams the saved tokens into view at about the pace a
model writes, so the room sees the real answer appear. The replay only ever
shows what the file holds: nothing is generated, nothing is sent, nothing
is logged.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator
from typing import Any

import gradio as gr

from sandbox.exercises import recording
from sandbox.exercises.recording import RecordedCall, Saved
from sandbox.ui import exercise_views
from sandbox.ui.events import INSTANT

# Seconds per token: about 20 tokens a second, as a fast local model writes, so a sentence can be followed.
PACE = 0.05
# A replay redraws at most this often (seconds): each redraw sends the whole view so far.
REDRAW = 0.1
# Replays running at once. Each holds a worker thread while it paces itself and
# sends its view ten times a second: a room pressing "Afspil" together would
# otherwise take the threads and the CPU the model's live answers need. The
# rest wait their turn and see their place.
REPLAYS_AT_ONCE = 4
_WORDS = re.compile(r"\S+\s*|\s+")
_TEXT_STYLE = (
    "white-space:pre-wrap;border:1px solid #d1d5db;border-radius:4px;padding:0.5rem 0.75rem;"
    "background:#ffffff;color:#1f2937"
)
_NOTE_STYLE = (
    "color:#7c2d12;background:#fff7ed;border:1px solid #fdba74;border-left:0.4rem solid #c2410c;"
    "border-radius:4px;padding:0.5rem 0.75rem;margin:0.5rem 0"
)


class RecordingPanel:
    """A column beside the live result: pick a saved run, read it, replay it."""

    def __init__(self, guard: Any) -> None:
        self.guard = guard

    def build(self, choice: gr.Dropdown) -> None:
        """Create the panel (inside the current row); ``choice`` is the open card's id."""
        with gr.Column(visible=False, elem_id="lp-recording") as self.column:
            self.pick = gr.Dropdown([], value=None, label="Optagelse fra en rigtig model", elem_id="lp-recording-pick")
            self.notes = gr.HTML()
            self.play = gr.Button("Afspil", elem_id="lp-replay")
            self.replay = gr.HTML(elem_id="lp-replay-view")
            self.view = gr.HTML(elem_id="lp-recording-view")
        choice.change(self.on_choose, [choice], [self.column, self.pick, self.notes, self.view, self.replay], **INSTANT)
        self.pick.input(self.on_pick, [choice, self.pick], [self.view, self.replay], **INSTANT)
        self.play.click(
            self.on_play,
            [choice, self.pick],
            [self.replay],
            concurrency_id="replay",
            concurrency_limit=REPLAYS_AT_ONCE,
            show_progress="full",
            api_visibility="private",
        )

    def on_choose(self, card_id: str | None) -> tuple[Any, Any, str, str, str]:
        """Show the card's saved runs (the newest opened), or hide the panel when it has none."""
        found, notes = self._found(card_id)
        note_html = "".join(f'<div role="alert" style="{_NOTE_STYLE}">{html.escape(n)}</div>' for n in notes)
        choices = [(_choice_label(saved), saved.path.name) for saved in found]
        newest = found[0] if found else None
        return (
            gr.Column(visible=bool(found or notes)),
            gr.Dropdown(choices=choices, value=newest.path.name if newest else None, visible=bool(found)),
            note_html,
            saved_view(newest) if newest else "",
            "",
        )

    def on_pick(self, card_id: str | None, name: str | None) -> tuple[str, str]:
        saved = self._one(card_id, name)
        return (saved_view(saved) if saved else ""), ""

    def on_play(self, card_id: str | None, name: str | None) -> Iterator[str]:
        """Stream the saved run's answers into view, token by token, as they were recorded."""
        saved = self._one(card_id, name)
        if saved is None:
            yield ""
            return
        calls = saved.recording.calls
        done: list[str] = []
        for number, call in enumerate(calls, start=1):
            heading = f"Svar {number} af {len(calls)}" if len(calls) > 1 else "Svaret"
            shown = ""
            drawn = 0.0
            for piece in pieces(call):
                shown += piece
                if time.monotonic() - drawn >= REDRAW:
                    drawn = time.monotonic()
                    yield replay_html(saved, done, heading, shown, finished=False)
                time.sleep(PACE)
            done.append(_answer_block(heading, shown))
        yield replay_html(saved, done, "", "", finished=True)

    def _found(self, card_id: str | None) -> tuple[list[Saved], list[str]]:
        if not card_id:
            return [], []
        return recording.for_card(card_id, recording.folder(), self.guard)

    def _one(self, card_id: str | None, name: str | None) -> Saved | None:
        """The listed saved run called ``name``: only files of the open card's list, never a path sent by a client."""
        found, _ = self._found(card_id)
        return next((saved for saved in found if saved.path.name == name), None)


def pieces(call: RecordedCall) -> list[str]:
    """The recorded tokens of one answer; its words where the tokens were not kept (the guard changed the answer)."""
    if call.tokens is not None:
        return [text for text, _ in call.tokens]
    return _WORDS.findall(call.answer)


def saved_view(saved: Saved) -> str:
    """The saved run as it looked when recorded, under its label, with what it was recorded with."""
    rec = saved.recording
    model = rec.model
    sha = f"<code>{html.escape(model.sha256)}</code>" if model.sha256 else "oplyses ikke af modelserveren"
    log_ids = ", ".join(str(call.log_id) for call in rec.calls if call.log_id is not None) or "ingen"
    seeds = ", ".join(str(call.seed) for call in rec.calls)
    facts = (
        f'<p style="font-size:0.9em">Model: {html.escape(model.name)} ({html.escape(model.backend)}); sha256: {sha}. '
        f"Optaget {html.escape(rec.when.strftime('%d.%m.%Y kl. %H.%M'))} med legeplads {html.escape(rec.app_version)}. "
        f"Seeds: {seeds}. Lognumre: {log_ids}. Afspilningen viser de gemte svar; intet bliver skrevet igen.</p>"
    )
    changed = (
        f'<div role="alert" style="{_NOTE_STYLE}">Øvelseskortet er ændret, siden kørslen blev optaget. '
        "Optagelsen viser kortet, som det var dengang; optag det igen for at vise det nye.</div>"
        if saved.card_changed
        else ""
    )
    title = f'<h3 class="lp-recording-title">{html.escape(rec.label)}</h3>'
    return title + changed + facts + exercise_views.render(saved.result)


def replay_html(saved: Saved, done: list[str], heading: str, shown: str, *, finished: bool) -> str:
    """The replay so far: finished answers, then the one being written."""
    state = "Afspilning færdig." if finished else "Afspiller …"
    parts = [f"<p><strong>{html.escape(saved.recording.label)}</strong>: {state}</p>", *done]
    if not finished:
        parts.append(_answer_block(heading, shown))
    return f'<div class="lp-replay" data-finished="{str(finished).lower()}">{"".join(parts)}</div>'


def _answer_block(heading: str, text: str) -> str:
    return f'<h4>{html.escape(heading)}</h4><div style="{_TEXT_STYLE}">{html.escape(text)}</div>'


def _choice_label(saved: Saved) -> str:
    return f"{saved.recording.label} kl. {saved.recording.when.strftime('%H.%M')}"
