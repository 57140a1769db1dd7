"""The idébank in the Øvelser tab: the report's 63 possible use cases, filtered, with links to cards.

A participant asks "what could this do in my job?"; the idébank answers in
the report's own numbering, narrowed by area, by what it gains (time,
quality, service) and by how near it is (in use now, planned, future), and
links each idea to the cards that practise it or show its main risk.
"""

from __future__ import annotations

import html

import gradio as gr

from sandbox.exercises.catalog import get_card, load_idebank
from sandbox.exercises.schema import GAINS, HORIZONS, Idea
from sandbox.ui.events import INSTANT
from sandbox.ui.fold import fold

ALL_AREAS = "alle"


class IdebankPanel:
    """Three filters and the list of ideas they leave."""

    def build(self) -> None:
        bank = load_idebank()
        with fold(f"Idébank: {len(bank.ideas)} idéer til kunstig intelligens i kommunen", "lp-idebank"):
            gr.Markdown(f"Kilde: {bank.source} Øvelserne åbner i en ny fane.")
            with gr.Row():
                self.area = gr.Dropdown(
                    [("Alle områder", ALL_AREAS), *((area.title, area.id) for area in bank.areas)],
                    value=ALL_AREAS,
                    label="Område",
                    elem_id="lp-idebank-area",
                )
                self.gains = gr.CheckboxGroup(
                    [(label, key) for key, label in GAINS.items()], label="Gevinst", elem_id="lp-idebank-gains"
                )
                self.horizons = gr.CheckboxGroup(
                    [(label, key) for key, label in HORIZONS.items()],
                    label="Tidshorisont",
                    elem_id="lp-idebank-horizons",
                )
            self.list = gr.HTML(ideas_html(bank.ideas, len(bank.ideas)), elem_id="lp-idebank-list")
        filters = [self.area, self.gains, self.horizons]
        for component in filters:
            component.change(self.on_filter, filters, [self.list], **INSTANT)

    def on_filter(self, area: str, gains: list[str] | None, horizons: list[str] | None) -> str:
        bank = load_idebank()
        ideas = bank.matching(None if area == ALL_AREAS else area, tuple(gains or ()), tuple(horizons or ()))
        return ideas_html(ideas, len(bank.ideas))


def ideas_html(ideas: tuple[Idea, ...], total: int) -> str:
    """The ideas as a list: number, title, description, gains and horizon, caution and card links."""
    count = f'<p class="lp-idebank-count">Viser {len(ideas)} af {total} idéer.</p>'
    if not ideas:
        return count + "<p>Ingen idéer passer til de valgte filtre. Fjern et af dem.</p>"
    return count + "".join(_idea_html(idea) for idea in ideas)


def _idea_html(idea: Idea) -> str:
    facts = f"Gevinst: {', '.join(GAINS[g] for g in idea.gains)} · {'; '.join(HORIZONS[h] for h in idea.horizon)}"
    parts = [
        f'<div class="lp-idea"><h4>{html.escape(idea.id)} {html.escape(idea.title)}</h4>',
        f"<p>{html.escape(idea.description)}</p>",
        f"<p><small>{html.escape(facts)}</small></p>",
    ]
    if idea.caution:
        parts.append(f"<p><strong>Pas på:</strong> {html.escape(idea.caution)}</p>")
    if idea.cards:
        links = ", ".join(
            f'<a href="?ovelse={card_id}" target="_blank" rel="noopener">{html.escape(get_card(card_id).title)}</a>'
            for card_id in idea.cards
        )
        parts.append(f"<p>Øv det: {links}</p>")
    return "".join(parts) + "</div>"
