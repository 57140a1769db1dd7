"""A card as Markdown: what the CLI prints and the web UI can show as it is.

One rendering for both, so a trainer sees the same card on paper (via
``legeplads exercises show``) as participants see on screen.
"""

from __future__ import annotations

from sandbox.exercises.catalog import load_idebank
from sandbox.exercises.schema import CATEGORIES, FOCUS, JOB_AREAS, MINDSETS, USE_CASES, Card
from sandbox.exercises.settings import MATERIAL, RUNNER_TITLES, ParSettings, fill


def card_markdown(card: Card, *, trainer: bool = False, on_screen: bool = False) -> str:
    """The card for participants; with ``trainer`` also the trainer notes.

    ``on_screen`` (the app) wraps the notes in an element the presenter view
    hides: they hold the answers, and the projector must not give them away.
    """
    kind = CATEGORIES[card.category] + (f" – {USE_CASES[card.use_case]}" if card.use_case else "")
    ideas = [f"{idea.id} {idea.title}" for idea in load_idebank().ideas if card.id in idea.cards]
    lines = [
        f"# {card.title}",
        "",
        f"**{kind}** · {card.duration_minutes} minutter · {RUNNER_TITLES[card.runner.name]}",
        "",
        f"Fagområde: {', '.join(JOB_AREAS[a] for a in card.job_areas)}  ",
        f"Passer til: {', '.join(MINDSETS[m].lower() for m in card.mindsets)}",
        "",
        "## Det skal du lære",
        "",
        card.learning_goal.strip(),
        "",
        f"## Materiale: {card.material.title}",
        "",
        f"_{card.material.note}_",
    ]
    if card.material.text.strip():
        lines += ["", *_quoted(card.material.text)]
    prompt = _prompt(card)
    if prompt:
        lines += ["", "## Det spørger vi modellen om", "", *_quoted(prompt)]
    lines += ["", "## Sådan gør du", ""]
    lines += [f"{i}. {step}" for i, step in enumerate(card.steps, 1)]
    lines += ["", "## Det skal du lægge mærke til", ""]
    lines += [f"- {point}" for point in card.notice]
    lines += ["", "## Refleksion", ""]
    lines += [f"- **{FOCUS[r.focus]}:** {r.question}" for r in card.reflection]
    lines += ["", "## Tommelfingerregel", "", card.rule_of_thumb]
    if ideas:
        lines += ["", "## Idéer fra idébanken", "", *(f"- {idea}" for idea in ideas)]
    if trainer:
        notes = ["", "## Noter til underviseren", "", card.trainer_notes.strip()]
        lines += ['', f'<div class="{NOTES_CLASS}">', *notes, "", "</div>"] if on_screen else notes
    return "\n".join(lines) + "\n"


#: The class of the trainer notes on screen; theme.css hides them in presenter view unless asked.
NOTES_CLASS = "lp-trainer-notes"


def _quoted(text: str) -> list[str]:
    return [f"> {line}" if line else ">" for line in text.strip().splitlines()]


# What a reader sees instead of a template slot: "{materiale}" means nothing
# to a participant, so a slot is shown as what goes there.
SLOT_TEXT: dict[str, str] = {
    MATERIAL: "(teksten under «Materiale»)",
    "svar": "(høringssvarene, nogle ad gangen)",
}


def _prompt(card: Card) -> str:
    """The prompt the runner sends, with each slot shown as what fills it."""
    settings = card.settings()
    if isinstance(settings, ParSettings):
        # Each slot shows every variant's value: "til «en 45-årig kvinde» / «en 45-årig mand», der ...".
        slots = {
            slot: " / ".join(f"«{variant.values[slot]}»" for variant in settings.variants)
            for slot in settings.variants[0].values
        }
        variants = "\n".join(f"- {v.label}: {settings.prompt_for(v)}" for v in settings.variants)
        return f"{fill(settings.template, slots)}\n\nVarianter ({settings.attribute}):\n{variants}"
    for name in ("prompt", "question", "instruction"):
        value = getattr(settings, name, None)
        if isinstance(value, str):
            return fill(value, SLOT_TEXT)
    return ""
