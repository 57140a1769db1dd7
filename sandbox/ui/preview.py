"""The live preview: the text the model will see, with what the guard did marked.

The guard reports offsets into the *original* text, while the user should see
the *redacted* text, which is built from the text with look-alike characters
folded (see :mod:`sandbox.guards.normalise`). So the preview folds the
original the same way and walks it once, writing each finding's placeholder
(or, for a type the policy allows, the words) and each art. 9 word,
labelled for ``gr.HighlightedText``. If that walk does not spell exactly the
redacted text the model will get, the preview shows the redacted text
unmarked rather than a wrong picture.
"""

from __future__ import annotations

from sandbox.audit.labels import category_label, entity_label
from sandbox.guards.normalise import normalise
from sandbox.guards.result import GuardResult

# One colour per kind of marking; the legend lists only the labels in the text.
MASKED, BLOCKED, ALLOWED, ART9 = "#bfdbfe", "#fca5a5", "#e5e7eb", "#fde68a"


def art9_label(category: str) -> str:
    return "Art. 9: " + category_label(category)


def highlights(original: str, result: GuardResult) -> tuple[list[tuple[str, str | None]], dict[str, str]]:
    """The redacted text as (piece, label) pairs (label None: unmarked), and each used label's colour."""
    folded = normalise(original)
    text_of = folded.text

    def span(start: int, end: int) -> tuple[int, int]:
        return folded.folded_offset(start), folded.folded_offset(end)

    marks: list[tuple[int, int, str, str | None]] = []
    colours: dict[str, str] = {}
    kinds = {"redact": ("", MASKED), "block": ("Blokeres: ", BLOCKED), "allow": ("Tilladt: ", ALLOWED)}
    for entity in result.entities:
        start, end = span(entity.start, entity.end)
        # Allowed values pass unchanged (no placeholder); everything else is replaced.
        text = entity.placeholder or text_of[start:end]
        prefix, colour = kinds[entity.action]
        label = prefix + entity_label(entity.type)
        colours[label] = colour
        marks.append((start, end, text, label))
    taken = [(start, end) for start, end, _, _ in marks]
    for warning in result.warnings:
        start, end = span(warning.start, warning.end)
        if not any(s < end and start < e for s, e in taken):
            label = art9_label(warning.category)
            colours[label] = ART9
            marks.append((start, end, text_of[start:end], label))
    pieces: list[tuple[str, str | None]] = []
    position = 0
    for start, end, text, label in sorted(marks):
        if start < position:
            continue
        if start > position:
            pieces.append((text_of[position:start], None))
        pieces.append((text, label))
        position = end
    if position < len(text_of):
        pieces.append((text_of[position:], None))
    if "".join(text for text, _ in pieces) != result.text:
        return [(result.text, None)], {}
    return pieces, colours


def explanation(result: GuardResult) -> str:
    """A Danish sentence or two under the preview: what was hidden, blocked and warned about."""
    if not result.entities and not result.warnings:
        return "Værnet fandt ingen personoplysninger. Modellen får teksten, som den står."
    lines = []
    redacted = [e for e in result.entities if e.action == "redact"]
    if redacted:
        lines.append(
            f"Værnet erstatter {len(redacted)} personoplysning{'er' if len(redacted) != 1 else ''} med "
            "pladsholdere (blå). Modellen ser kun pladsholderne."
        )
    blocked = sorted({entity_label(e.type) for e in result.entities if e.action == "block"})
    if blocked:
        lines.append(f"**Afvises:** Prompten vil blive afvist, fordi den indeholder: {', '.join(blocked)}.")
    allowed = sorted({entity_label(e.type) for e in result.entities if e.action == "allow"})
    if allowed:
        lines.append(f"Sendes uændret, fordi politikken tillader det: {', '.join(allowed)} (grå).")
    if result.warnings:
        categories = sorted({category_label(w.category) for w in result.warnings})
        lines.append(
            f"⚠️ Teksten nævner særlige kategorier af oplysninger ({', '.join(categories)}; gul). "
            "De bliver ikke fjernet, men sammen med andre detaljer kan de pege på en bestemt borger. "
            "Overvej, om modellen har brug for dem."
        )
    return "\n\n".join(lines)
