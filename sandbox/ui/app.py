"""The Blocks app: header, tabs, roles and per-tab state, wired together.

Each tab lives in its own module; this one decides who sees what. Roles
come from the login (``gr.Request.username``) and are looked up again in
every handler that needs one, never trusted from the browser.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import gradio as gr

from sandbox.pipeline import Pipeline
from sandbox.ui import about
from sandbox.ui.auth import LOCAL, ROLE_LABELS, UserStore, permissions, role_for
from sandbox.ui.compliance import EXPORT_LIFETIME_S, ComplianceTab
from sandbox.ui.events import INSTANT, MODEL_QUEUE
from sandbox.ui.exercises_tab import URL_PARAMETER, ExercisesTab
from sandbox.ui.files import DOWNLOADS, use_private_temp
from sandbox.ui.playground import EMPTY_ANSWER, NOTHING_YET, Playground
from sandbox.ui.state import Visit, discard

CONFIRM_RESET_JS = (
    "(visit, confirmed) => [visit, window.confirm('Nulstil? Din historik, din læringslog og koblingen mellem "
    "pladsholdere og dine oplysninger bliver slettet.')]"
)
PRESENTER_JS = "(on) => { document.body.classList.toggle('lp-presenter', on); return []; }"
NOTES_JS = "(on) => { document.body.classList.toggle('lp-show-notes', on); return []; }"


def build_app(pipeline: Pipeline, users: UserStore | None = None, local_role: str = LOCAL) -> gr.Blocks:
    """The web app around a loaded pipeline.

    ``users`` = workshop logins; None: one local user, who sees the views
    of ``local_role`` (:data:`LOCAL`: every view).
    """

    def role_of(request: gr.Request) -> str | None:
        return local_role if users is None else role_for(users, request.username)

    def may(permission: str) -> Callable[[gr.Request], bool]:
        return lambda request: permission in permissions(role_of(request))

    workshop = users is not None  # participants connect over the room's network
    playground = Playground(pipeline)
    # Alone at their own computer, anyone follows a path at their own pace, whatever the view.
    exercises = ExercisesTab(
        pipeline,
        is_trainer=may("trainer"),
        may_steer_module=(lambda request: True) if users is None else None,
        # Alone, the About tab tells the caseworker what to ask IT; in a room only the trainer can act on it.
        trainer_note=about.trainer_demo_notice() if workshop and pipeline.info.demo else "",
    )
    compliance = ComplianceTab(pipeline.log, may_see_log=may("log"))

    use_private_temp()  # before gr.Blocks, which takes gradio's temp folder from it
    lifetime = EXPORT_LIFETIME_S  # downloads nobody fetched go after this time
    with gr.Blocks(title="Legeplads", analytics_enabled=False, delete_cache=(lifetime, lifetime)) as demo:
        # A factory, not the class: gradio would treat a dataclass type as a value.
        visit = gr.State(lambda: Visit(), delete_callback=discard)
        with gr.Row(elem_id="lp-header"):
            gr.Markdown(f"# Legeplads\n{about.tagline(pipeline.info, workshop)}", elem_id="lp-title")
            who = gr.Markdown(elem_id="lp-who")
            reset = gr.Button("Nulstil", size="sm", scale=0, elem_id="lp-reset")
            confirmed = gr.Checkbox(visible=False)  # the answer to the browser's "are you sure?"
            # A button, not a link: gradio opens Markdown links in a new tab, which would leave
            # this one open, still showing the answers, on a shared computer.
            logout = gr.Button("Log ud", size="sm", scale=0, visible=workshop, elem_id="lp-logout")
        gr.Markdown(model_banner(pipeline, workshop), elem_id="lp-model")
        with gr.Accordion("Underviser", open=False, visible=False, elem_id="lp-trainer") as trainer_panel:
            with gr.Row():
                presenter = gr.Checkbox(
                    label="Præsentationsvisning (stor skrift, høj kontrast)", value=False, elem_id="lp-presenter-toggle"
                )
                notes = gr.Checkbox(
                    label="Vis noterne til underviseren på projektoren (de indeholder svarene)",
                    value=False,
                    elem_id="lp-notes-toggle",
                )
                queue_status = gr.Markdown(elem_id="lp-queue")
        timer = gr.Timer(3, active=False)
        with gr.Tabs(elem_id="lp-tabs") as tabs:
            with gr.Tab("Legeplads", id="legeplads"):
                playground.build(visit)
            with gr.Tab("Øvelser", id="ovelser"):
                exercises.build(visit)
            with gr.Tab("Log", id="log", visible=False) as log_tab:
                compliance.build()
            with gr.Tab("Om", id="om"):
                about.build(pipeline.info, workshop)

        def on_load(visit_value: Visit, request: gr.Request) -> tuple[Any, ...]:
            """A new tab: the views this role may see, and the exercise from the link.

            The tab's state is handed back unchanged: that registers it with
            gradio, which then discards it (and its vault) when the tab's
            session ends. It is never swapped for a new object, because a
            Send pressed before this event finished already holds it.
            """
            role = role_of(request)
            allowed = permissions(role)
            card_id = dict(request.query_params).get(URL_PARAMETER)
            return (
                visit_value,
                who_markdown(request.username, role, local=users is None),
                gr.Tab(visible="log" in allowed),
                gr.Accordion(visible="trainer" in allowed),
                gr.Timer(active="trainer" in allowed),
                gr.Tabs(selected="ovelser") if card_id else gr.skip(),
                *exercises.open(card_id, request),
            )

        def on_queue(request: gr.Request) -> str:
            if not may("trainer")(request):
                return ""
            waiting, running = model_queue(demo)
            return f"**Kø hos modellen:** {running} i gang (plads til {pipeline.slots} ad gangen), {waiting} venter."

        def on_reset(visit_value: Visit, confirmed: bool, request: gr.Request) -> tuple[Any, ...]:
            if not confirmed:
                return tuple(gr.skip() for _ in reset_outputs)
            visit_value.reset()
            DOWNLOADS.discard_for(tab=request.session_hash)  # the tab's exports and learning logs
            gr.Info(
                "Nulstillet: din historik, din læringslog og koblingen mellem pladsholdere og dine oplysninger "
                "er slettet."
            )
            # The journal's download goes too: it would still offer the log that was just forgotten.
            forgotten = gr.DownloadButton(value=None, visible=False)
            return visit_value, "", [], NOTHING_YET, EMPTY_ANSWER, "", "", [], "", "", forgotten

        demo.load(
            on_load,
            [visit],
            [visit, who, log_tab, trainer_panel, timer, tabs, exercises.choice, exercises.card, exercises.material],
            **INSTANT,
        )
        exercises.module.wire_load(demo)
        logout.click(lambda visit_value: visit_value.reset(), [visit], None, **INSTANT).then(
            None, js="() => { window.location.assign('logout'); }"
        )
        timer.tick(on_queue, None, [queue_status], queue=False, show_progress="hidden", api_visibility="private")
        presenter.change(None, [presenter], None, js=PRESENTER_JS)
        notes.change(None, [notes], None, js=NOTES_JS)
        log_tab.select(compliance.on_refresh, None, compliance.refresh_outputs(), **INSTANT)
        reset_outputs = [
            visit,
            playground.prompt,
            playground.preview,
            playground.explanation,
            playground.answer,
            playground.meta,
            playground.status,
            playground.history,
            exercises.result,
            exercises.journal.status,
            exercises.journal.download,
        ]
        # One click must not delete a learning log by accident: the browser asks first.
        reset.click(on_reset, [visit, confirmed], reset_outputs, js=CONFIRM_RESET_JS, **INSTANT).then(
            playground.on_conversation,
            [playground.prompt, playground.max_tokens, visit],
            playground.conversation_outputs,
            **INSTANT,
        )
    return demo


def model_banner(pipeline: Pipeline, workshop: bool) -> str:
    info = pipeline.info
    banner = f"**Model:** {html.escape(info.name)}"
    return banner + ("\n\n" + about.demo_notice(workshop) if info.demo else "")


def who_markdown(username: str | None, role: str | None, *, local: bool = False) -> str:
    if local:
        view = "" if role == LOCAL else f", visning for {ROLE_LABELS.get(role or '', 'ukendt rolle')}"
        return f"Kun på denne computer (ingen login{view})."
    label = ROLE_LABELS.get(role or "", "ukendt rolle")
    return f"Logget ind som **{html.escape(username or '')}** ({label})"


def model_queue(demo: gr.Blocks) -> tuple[int, int]:
    """(waiting, running) model calls right now.

    Gradio shows each user their own place in the queue but has no public
    call for the length of one queue, so this reads its queue object.
    """
    queue = demo._queue.event_queue_per_concurrency_id.get(MODEL_QUEUE)
    if queue is None:
        return 0, 0
    return len(queue.queue), queue.current_concurrency
