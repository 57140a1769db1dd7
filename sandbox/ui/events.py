"""How the app's events run, and the refusals it shows before anything queues.

Two kinds of event: model calls, which wait their turn in one queue (the
model answers as many people at once as it has slots, and gradio shows the
others their place), and
quick handlers, which run at once, in parallel, never behind a model call.
Refusals are checked again by the pipeline (it is the authority); they exist
so that a person is told within a second, not after their turn in a queue
of twenty.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from sandbox.ui.state import Visit

MODEL_QUEUE = "model"

# Quick handlers still go through gradio's queue: only queued events can
# show a pop-up message.
INSTANT: dict[str, Any] = {"concurrency_limit": None, "show_progress": "hidden", "api_visibility": "private"}


def model_call(shows_progress_on: gr.components.Component, slots: int) -> dict[str, Any]:
    """Event settings for a model call; ``shows_progress_on`` shows the place in the queue.

    ``slots`` calls run at once (the model decodes them together, see
    sandbox/backends/engine.py); the rest wait and see their place.
    """
    return {
        "concurrency_id": MODEL_QUEUE,
        "concurrency_limit": slots,
        "show_progress": "full",
        "show_progress_on": [shows_progress_on],
    }


def refuse(message: str, title: str) -> gr.Error:
    """A Danish error pop-up (raise it); not printed as a server traceback, it is not a bug."""
    return gr.Error(message, title=title, print_exception=False)


def stop_button(live: bool) -> Any:
    """The Stop button, pressable only while this tab has a model call waiting or running.

    A red Stop that can always be pressed looked as if something were running.
    """
    return gr.Button(interactive=live)


def idle() -> Any:
    """After a model call: nothing left to stop."""
    return stop_button(False)


def stop(visit: Visit) -> None:
    """Stop this tab's waiting or running model call (the Stop buttons).

    It answers with a pop-up and writes no component. The call's own status
    line says "Stoppet." once it has ended, and a reply from this handler can
    reach the browser after that line and overwrite it: in the browser test
    "Stopper …" stayed on screen for an answer that had long stopped.
    """
    gr.Info("Stopper …" if visit.stop() else "Der er ikke noget at stoppe.")
