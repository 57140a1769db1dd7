"""The Danish words for the log's codes: one table per code, for every place a person reads them.

The log stores machine-readable codes (``PERSON``, ``HELBRED``, ``length``,
an exercise id) so JSON Lines stays stable for tools. Everything a person
reads (the web app's Log tab, the CSV export, ``legeplads log show``) goes
through the tables and functions here, so "Navn" in a filter and "Navn ×2"
in a table can never drift apart. Kept free of Gradio and the guard's heavy
imports, because ``legeplads log`` uses it too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The guard's decision. Keys are :data:`sandbox.audit.entry.DECISIONS`.
DECISION_LABELS: dict[str, str] = {
    "sent": "sendt",
    "redacted": "maskeret",
    "blocked": "blokeret",
    "guard_error": "værnfejl",
}

# Entity types the guard finds, in the order summaries list them. Keys are
# :data:`sandbox.guards.result.ENTITY_TYPES`; a test keeps the two in step.
ENTITY_LABELS: dict[str, str] = {
    "CPR": "CPR-nummer",
    "CVR": "CVR-nummer",
    "IBAN": "IBAN",
    "BANKKONTO": "Bankkonto",
    "EMAIL": "E-mail",
    "TELEFON": "Telefonnummer",
    "NUMMERPLADE": "Nummerplade",
    "ADRESSE": "Adresse",
    "FØDSELSDATO": "Fødselsdato",
    "PERSON": "Navn",
}

# GDPR art. 9 categories (and art. 10, criminal matters), in the order summaries list them.
ART9_LABELS: dict[str, str] = {
    "HELBRED": "helbred",
    "ETNICITET": "etnisk oprindelse",
    "RELIGION": "religion",
    "SEKSUALITET": "seksuelle forhold",
    "POLITIK": "politisk overbevisning",
    "FAGFORENING": "fagforening",
    "BIOMETRI": "biometri",
    "STRAFFEFORHOLD": "strafbare forhold (art. 10)",
}

# Why the model stopped. Keys are :data:`sandbox.audit.entry.FINISH_REASONS`.
FINISH_LABELS: dict[str, str] = {
    "stop": "færdig",
    "length": "grænse for tokens",
    "cancelled": "stoppet af brugeren",
}
# When there is no finish reason, the entry says why the model never finished.
NOT_SENT = "ikke sendt"
FAILED = "fejl"

FREE_PROMPT = "fri prompt"

# Sampling settings, keyed as :class:`sandbox.backends.base.GenerationParams` stores them,
# in the order a person reads them. A setting this table lacks is shown by its key.
PARAM_LABELS: dict[str, str] = {
    "temperature": "temperatur",
    "top_p": "top-p",
    "top_k": "top-k",
    "repeat_penalty": "gentagelsesstraf",
    "max_tokens": "maks. antal tokens",
    "seed": "seed",
    "top_logprobs": "alternativer pr. token",
    # Not a setting but how the answer was computed: 1 = alone; more = in one
    # decode with others, which changes the numbers slightly (see the engine).
    "decoded_together": "svar regnet på én gang",
}

# Who wrote a message sent to the model. Keys are the chat roles the backends use.
ROLE_LABELS: dict[str, str] = {
    "system": "systeminstruks",
    "user": "bruger",
    "assistant": "model",
}


def entity_label(entity_type: str) -> str:
    """``PERSON`` → ``Navn``; a type this version does not know is shown as its code, not hidden."""
    return ENTITY_LABELS.get(entity_type, entity_type)


def category_label(category: str) -> str:
    """``HELBRED`` → ``helbred``; an unknown category is shown in lower case rather than hidden."""
    return ART9_LABELS.get(category, category.lower())


def finish_label(entry: Mapping[str, Any]) -> str:
    """Why the answer ended, in Danish; needs the whole entry, because no reason has several causes.

    An entry without a finish reason was either never sent (blocked, or the
    guard failed before the model was asked) or ended in an error.
    """
    reason = entry["finish_reason"]
    if reason is not None:
        return FINISH_LABELS.get(reason, reason)
    if entry["decision"] in ("blocked", "guard_error"):
        return NOT_SENT
    return FAILED if entry["error"] else ""


def exercise_title(exercise_id: str | None, titles: Mapping[str, str]) -> str:
    """An exercise id as the card's title, the way the Log tab's filter offers it.

    The log stores only the id; ``titles`` (id → title) comes from the
    caller, which knows the exercise catalogue (the log layer must not).
    ``None`` is a free prompt. An id with no title (a card renamed or
    removed since the entry was written) is shown as the id, so the entry
    still says something a person can look up.
    """
    if exercise_id is None:
        return FREE_PROMPT
    return titles.get(exercise_id, exercise_id)
