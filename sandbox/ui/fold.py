"""Fold-out sections whose inputs exist from the moment their tab is shown.

Gradio 6 mounts what is inside a closed ``gr.Accordion`` only when it is
opened, and one animation frame later writes the values it holds for those
components (their starting values) into them once more. A value typed in
that frame was silently replaced, on screen and in what Send used: "48"
typed into "Maks. antal tokens" right after opening "Indstillinger" turned
back into 200, and the browser test failed 3 of 7 times on it. A section
made here is an ordinary column, mounted with the rest of its tab, and
folded by CSS alone, so opening it mounts nothing and overwrites nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import gradio as gr

# The open state lives on the section's element, in the browser only: it is layout, not data.
TOGGLE_JS = """() => {
  const section = document.getElementById(%(id)r);
  const open = section.classList.toggle("lp-open");
  document.getElementById(%(id)r + "-toggle").setAttribute("aria-expanded", String(open));
  return [];
}"""


@contextlib.contextmanager
def fold(label: str, elem_id: str) -> Iterator[gr.Column]:
    """A closed section under a button ``label``; what is created inside the ``with`` goes in it."""
    toggle = gr.Button(label, size="sm", elem_id=f"{elem_id}-toggle", elem_classes=["lp-fold-toggle"])
    with gr.Column(elem_id=elem_id, elem_classes=["lp-fold"]) as section:
        yield section
    toggle.click(None, js=TOGGLE_JS % {"id": elem_id})
