"""The "Øvelser" tab: pick a card (or open one from a link), read it, run it.

A trainer hands out ``http://…/?ovelse=<id>``; the app opens that card on
load. Running a card calls its runner (:func:`sandbox.exercises.runners.run_card`),
which asks the model through the pipeline as many times as the exercise
needs; this module shows the card, and :mod:`sandbox.ui.exercise_views`
renders the runner's result.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from typing import Any

import gradio as gr

from sandbox.errors import UserError
from sandbox.exercises import get_card, load_cards
from sandbox.exercises.module import ModuleState
from sandbox.exercises.render import card_markdown
from sandbox.exercises.runners import USES_MATERIAL, run_card
from sandbox.exercises.runners.common import Stopped
from sandbox.exercises.schema import CATEGORIES, Card
from sandbox.pipeline import Pipeline
from sandbox.ui import exercise_views
from sandbox.ui.events import INSTANT, idle, model_call, refuse, stop, stop_button
from sandbox.ui.idebank_panel import IdebankPanel
from sandbox.ui.journal_panel import JournalPanel
from sandbox.ui.module_panel import ModulePanel
from sandbox.ui.recording_panel import RecordingPanel
from sandbox.ui.state import Visit

URL_PARAMETER = "ovelse"
RoleCheck = Callable[[gr.Request], bool]


class ExercisesTab:
    """The tab's components and handlers, around one pipeline."""

    def __init__(
        self,
        pipeline: Pipeline,
        is_trainer: RoleCheck,
        may_steer_module: RoleCheck | None = None,
        trainer_note: str = "",
    ) -> None:
        """``may_steer_module``: who starts and moves the module (the trainers; anyone alone at their computer).

        ``trainer_note``: shown to the trainer among the module's controls.
        """
        self.pipeline = pipeline
        self.is_trainer = is_trainer
        self.journal = JournalPanel(pipeline)
        self.recordings = RecordingPanel(pipeline.guard)
        # One module for the whole app: the trainer moves it, every tab shows it.
        self.module = ModulePanel(ModuleState(), may_steer_module or is_trainer, trainer_note)
        self.idebank = IdebankPanel()

    def build(self, visit: gr.State) -> None:
        # Grouped by category in the schema's order (use cases first), so related cards stand together.
        self.module.build()
        order = list(CATEGORIES)
        cards = sorted(load_cards(), key=lambda card: (order.index(card.category), card.title))
        self.choice = gr.Dropdown(
            [(f"{CATEGORIES[card.category]}: {card.title}", card.id) for card in cards],
            value=None,
            label="Vælg en øvelse",
            elem_id="lp-exercise",
        )
        self.card = gr.Markdown("Vælg en øvelse ovenfor, eller åbn et link fra underviseren.", elem_id="lp-card")
        self.material = gr.Textbox(label="Materiale (du må gerne ændre det)", lines=8, visible=False)
        with gr.Row():
            self.run = gr.Button("Kør øvelsen", variant="primary", elem_id="lp-run-exercise")
            self.stop = gr.Button("Stop", variant="stop", elem_id="lp-stop-exercise", interactive=False)
        self.status = gr.Markdown()
        # The live run and, beside it, a real model's saved run of the same card (when the trainer recorded one).
        with gr.Row(equal_height=False):
            self.result = gr.HTML(js_on_load=None, elem_id="lp-exercise-result")
            self.recordings.build(self.choice)
        self.journal.build(self.choice, visit)
        self.idebank.build()
        self.module.open_cards_in(self.choice)
        self.choice.change(self.on_choose, [self.choice], [self.card, self.material, self.result], **INSTANT)
        self.run.click(self.on_accept, [self.choice, visit], [self.status, self.stop], **INSTANT).success(
            self.on_run,
            [self.choice, self.material, visit],
            [self.status, self.result],
            api_name="oevelse",
            **model_call(shows_progress_on=self.result, slots=self.pipeline.slots),
        ).then(idle, None, [self.stop], **INSTANT)
        self.stop.click(stop, [visit], None, **INSTANT)

    def open(self, card_id: str | None, request: gr.Request) -> tuple[Any, Any, Any]:
        """Updates for (dropdown, card, material) that show ``card_id``; used on load for ``?ovelse=``."""
        if not card_id:
            return gr.skip(), gr.skip(), gr.skip()
        try:
            card = get_card(card_id)
        except UserError as error:
            gr.Warning(error.message)
            return gr.skip(), gr.skip(), gr.skip()
        return card.id, *self._show(card, request)

    def on_choose(self, card_id: str | None, request: gr.Request) -> tuple[Any, Any, str]:
        if not card_id:
            return gr.skip(), gr.skip(), ""
        card, material = self._show(get_card(card_id), request)
        return card, material, ""

    def _show(self, card: Card, request: gr.Request) -> tuple[str, Any]:
        # A card without material text (a question about an invented law) shows no empty box to fill in.
        uses_material = card.runner.name in USES_MATERIAL and bool(card.material.text.strip())
        material = gr.Textbox(value=card.material.text if uses_material else "", visible=uses_material)
        return card_markdown(card, trainer=self.is_trainer(request), on_screen=True), material

    def on_accept(self, card_id: str | None, visit: Visit) -> tuple[str, Any]:
        if not card_id:
            raise refuse("Vælg en øvelse først.", "Ingen øvelse valgt")
        if not visit.accept():
            raise refuse("Du har allerede noget i gang. Vent på det, eller tryk Stop.", "Vent lidt")
        status = "**Sendt.** Øvelsen venter på modellen (den skriver et begrænset antal svar ad gangen) …"
        return status, stop_button(True)

    def on_run(
        self,
        card_id: str,
        material: str,
        visit: Visit,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 (gradio's way)
    ) -> Iterator[tuple[str, str]]:
        """Run the card's runner through the pipeline and show its result."""
        visit.begin()
        try:
            if visit.cancel.is_set():
                yield "**Stoppet** før modellen gik i gang. Intet er sendt.", ""
                return
            card = get_card(card_id)
            yield f"**Kører** «{card.title}» …", ""
            result = run_card(
                card,
                self.pipeline,
                visit.session,
                material=material if card.runner.name in USES_MATERIAL else None,
                progress=lambda done, total, label: progress((done, total), desc=label, unit="trin"),
                cancel=visit.cancel,
            )
            # Named, because the participant may have picked another card while this one ran.
            title = f'<h3 class="lp-result-title">Resultat: {html.escape(card.title)}</h3>'
            visit.journal.complete(card.id)
            self.module.note_run(request, card.id)
            yield f"**Færdig:** «{card.title}».", title + exercise_views.render(result)
        except Stopped:
            yield "**Stoppet.** Du stoppede øvelsen, før den var færdig. Kør den igen, når du vil.", ""
        except UserError as error:
            gr.Warning(error.message)
            yield f"**Fejl:** {error.message}", ""
        finally:
            visit.finish()
