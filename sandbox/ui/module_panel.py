"""The module in the Øvelser tab: the trainer moves through it, every participant sees where the room is.

The module's state is one :class:`~sandbox.exercises.module.ModuleState`
for the whole app, in server memory. The trainer's buttons change it; each
participant's tab asks for it on load and then every few seconds (a
``gr.Timer``) and redraws only when its version moved, so twenty tabs cost
twenty tiny requests, not twenty re-renders. Without logins the one user
is their own trainer and follows a path at their own pace.

At the end the trainer gets the training record (Markdown and CSV) through
the same private, owned downloads as the learning log (sandbox/ui/files.py).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import gradio as gr

from sandbox.errors import UserError
from sandbox.exercises.catalog import get_card
from sandbox.exercises.module import MAX_TRAINER_NAME, ModuleRun, ModuleState, TrainingRecord, plans
from sandbox.numbers import quantity
from sandbox.ui.events import INSTANT, refuse
from sandbox.ui.files import DOWNLOADS, Owner
from sandbox.ui.fold import fold
from sandbox.ui.gate import owner_of

POLL_S = 3
RoleCheck = Callable[[gr.Request], bool]
NO_MODULE = (
    "Der er ikke et modul i gang. Når underviseren starter et, kan du her se, hvor I er, og åbne trinnets øvelser."
)


class ModulePanel:
    """Where the room is in the module, the trainer's controls, and the record's downloads."""

    def __init__(self, state: ModuleState, is_trainer: RoleCheck, note: str = "") -> None:
        """``note``: Markdown shown first among the trainer's controls (what to do about a demo model)."""
        self.state = state
        self.is_trainer = is_trainer
        self.note = note

    def build(self) -> None:
        """Create the panel; :meth:`open_cards_in` connects its card picker to the exercise list."""
        with gr.Group(elem_id="lp-module"):
            self.view = gr.HTML(module_html(None), elem_id="lp-module-view")
            self.cards = gr.Radio([], label="Åbn en øvelse fra trinnet", visible=False, elem_id="lp-module-cards")
        self.seen = gr.State(-1)  # the state's version this tab shows
        with gr.Column(visible=False) as self.controls:
            with fold("Styr modulet (underviser)", "lp-module-trainer"):
                if self.note:
                    gr.Markdown(self.note, elem_id="lp-module-note")
                self.plan = gr.Dropdown(
                    [(plan.title, plan.id) for plan in plans().values()],
                    value=None,
                    label="Modul eller forløb",
                    elem_id="lp-module-plan",
                )
                with gr.Row():
                    self.start = gr.Button("Start", variant="primary", elem_id="lp-module-start")
                    self.back = gr.Button("Forrige trin", elem_id="lp-module-back")
                    self.forward = gr.Button("Næste trin", elem_id="lp-module-next")
                self.trainer = gr.Textbox(
                    label="Underviserens navn (valgfrit)",
                    info="Kommer kun med i dokumentationen, hvis du skriver det. Deltagernes navne kommer aldrig med.",
                    max_length=MAX_TRAINER_NAME,
                    elem_id="lp-module-trainer-name",
                )
                self.finish = gr.Button("Afslut modulet og lav dokumentationen", elem_id="lp-module-finish")
                with gr.Row():
                    self.markdown = gr.DownloadButton("Hent dokumentationen (Markdown)", value=None, visible=False)
                    self.csv = gr.DownloadButton("Hent dokumentationen (CSV)", value=None, visible=False)
                self.status = gr.Markdown(elem_id="lp-module-status")
        self.timer = gr.Timer(POLL_S)
        shown = [self.view, self.cards, self.seen]
        self.timer.tick(self.on_tick, [self.seen], shown, queue=False, show_progress="hidden", api_visibility="private")
        self.start.click(self.on_start, [self.plan], [*shown, self.markdown, self.csv, self.status], **INSTANT)
        self.back.click(self.on_step(-1), None, shown, **INSTANT)
        self.forward.click(self.on_step(+1), None, shown, **INSTANT)
        self.finish.click(self.on_finish, [self.trainer], [*shown, self.markdown, self.csv, self.status], **INSTANT)

    def open_cards_in(self, choice: gr.Dropdown) -> None:
        """Picking one of the step's cards selects it in ``choice``, in this tab (its learning log stays)."""
        self.cards.input(lambda card_id: card_id or gr.skip(), [self.cards], [choice], **INSTANT)

    def wire_load(self, demo: gr.Blocks) -> None:
        """Show a new tab the module as it stands, and the controls if its login is a trainer."""
        demo.load(self.on_load, None, [self.controls, self.view, self.cards, self.seen], **INSTANT)

    def on_load(self, request: gr.Request) -> tuple[Any, ...]:
        return gr.Column(visible=self.is_trainer(request)), *self._shown()

    def on_tick(self, seen: int) -> tuple[Any, ...]:
        if seen == self.state.version:
            return gr.skip(), gr.skip(), gr.skip()
        return self._shown()

    def on_start(self, plan_id: str | None, request: gr.Request) -> tuple[Any, ...]:
        self._check(request)
        try:
            run = self.state.start(plan_id or "", datetime.now().astimezone())
        except UserError as error:
            raise refuse(error.message, "Ikke startet") from None
        hidden = gr.DownloadButton(value=None, visible=False)
        return *self._shown(), hidden, hidden, f"**Startet:** {run.plan.title}."

    def on_step(self, delta: int) -> Callable[[gr.Request], tuple[Any, ...]]:
        def move(request: gr.Request) -> tuple[Any, ...]:
            self._check(request)
            run = self.state.run
            try:
                self.state.go((run.step if run else 0) + delta)
            except UserError as error:
                raise refuse(error.message, "Trinnet findes ikke") from None
            return self._shown()

        return move

    def on_finish(self, trainer: str | None, request: gr.Request) -> tuple[Any, ...]:
        self._check(request)
        try:
            run = self.state.finish(datetime.now().astimezone())
        except UserError as error:
            raise refuse(error.message, "Intet at afslutte") from None
        record = run.record(trainer, datetime.now().astimezone())
        markdown, csv = export_record(record, owner_of(request))
        status = (
            f"**Afsluttet** efter {record.duration()} med {quantity(record.participants, 'deltager', 'deltagere')} "
            f"(de, der kørte mindst én øvelse) og {quantity(sum(c.runs for c in record.cards), 'kørsel', 'kørsler')} "
            "af modulets øvelser. "
            "Hent dokumentationen nedenfor og gem den, hvor kommunen dokumenterer kompetenceudvikling."
        )
        return (
            *self._shown(),
            gr.DownloadButton(value=str(markdown), visible=True),
            gr.DownloadButton(value=str(csv), visible=True),
            status,
        )

    def note_run(self, request: gr.Request | None, card_id: str) -> None:
        """A card ran to the end: count the run, and its runner as a participant (login, else tab; trainers not)."""
        self.state.note_card(card_id)
        if request is None:
            return
        if request.username and self.is_trainer(request):
            return
        self.state.note_card_run(request.username or request.session_hash or "")

    def _shown(self) -> tuple[Any, ...]:
        version, run = self.state.version, self.state.run
        return module_html(run), cards_update(run), version

    def _check(self, request: gr.Request) -> None:
        if not self.is_trainer(request):
            raise refuse("Kun underviseren kan styre modulet.", "Ingen adgang")


def module_html(run: ModuleRun | None) -> str:
    """The plan with the room's current step marked, or a line saying no module runs."""
    if run is None:
        return f'<p class="lp-module-none">{html.escape(NO_MODULE)}</p>'
    plan = run.plan
    if run.ended is not None:
        head = f"Modulet «{plan.title}» er afsluttet. Tak for i dag, og husk at eksportere din læringslog."
        return f'<p class="lp-module-none"><strong>{html.escape(head)}</strong></p>'
    items = []
    for index, step in enumerate(plan.steps):
        label = f"{html.escape(step.title)} <small>({step.minutes} min)</small>"
        if index == run.step:
            items.append(
                f'<li class="lp-step-current" aria-current="step" style="font-weight:bold;'
                f'border-left:4px solid var(--color-accent);padding-left:0.5em">Nu: {label}'
                f'<div style="font-weight:normal">{html.escape(step.what)}</div></li>'
            )
        else:
            items.append(f"<li>{label}</li>")
    where = f"Trin {run.step + 1} af {len(plan.steps)}"
    return (
        f'<div class="lp-module-plan"><h3>{html.escape(plan.title)}</h3><p>{where}</p><ol>{"".join(items)}</ol></div>'
    )


def cards_update(run: ModuleRun | None) -> Any:
    """The current step's cards to pick from (hidden when the step has none)."""
    if run is None or run.ended is not None:
        return gr.Radio(choices=[], value=None, visible=False)
    card_ids = run.plan.steps[run.step].cards
    return gr.Radio(choices=[(get_card(c).title, c) for c in card_ids], value=None, visible=bool(card_ids))


def export_record(record: TrainingRecord, owner: Owner) -> tuple[Path, Path]:
    """Write the record as Markdown and as CSV (Excel: UTF-8 with BOM) for ``owner`` only."""
    stamp = f"{record.started:%Y%m%d-%H%M}"
    markdown = DOWNLOADS.new_file(owner, f"uddannelsesdokumentation-{stamp}.md")
    with DOWNLOADS.open(markdown) as out:
        out.write(record.to_markdown().encode("utf-8"))
    csv = DOWNLOADS.new_file(owner, f"uddannelsesdokumentation-{stamp}.csv")
    with DOWNLOADS.open(csv) as out:
        out.write(record.to_csv().encode("utf-8-sig"))
    return markdown, csv
