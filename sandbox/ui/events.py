"""Refusals the app shows at once, before anything waits in the model queue.

The pipeline checks the same things again (it is the authority); these
exist so that a person is told within a second, not after their turn in a
queue of twenty.
"""

from __future__ import annotations

import gradio as gr

from sandbox.pipeline import MAX_PROMPT_CHARS

# Event settings for quick handlers that never touch the model: they go
# through gradio's queue (only queued events can show a pop-up message) but
# run at once, in parallel, never behind a model call.
INSTANT = {"concurrency_limit": None, "show_progress": "hidden", "api_visibility": "private"}


def refuse(message: str, title: str) -> gr.Error:
    """A Danish error pop-up (raise it); not printed as a server traceback, it is not a bug."""
    return gr.Error(message, title=title, print_exception=False)


def too_long(text: str) -> str:
    return (
        f"Teksten er for lang: {len(text):,} tegn. Legepladsen tager højst {MAX_PROMPT_CHARS:,} tegn ad gangen, "
        "og modellen kan kun læse en brøkdel af det. Send et uddrag."
    ).replace(",", ".")
