"""The log in words a person types and reads: ages, dates, anchors, findings, one entry on screen.

Shared by the ``legeplads log`` commands, the exports and the web app's Log
tab, so a date or a finding is written the same way wherever a reviewer
meets it. Codes become Danish words through :mod:`sandbox.audit.labels`.
Anything a person can mistype is refused with a Danish :class:`UserError`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from sandbox.audit.chain import Verification
from sandbox.audit.labels import (
    ART9_LABELS,
    DECISION_LABELS,
    ENTITY_LABELS,
    PARAM_LABELS,
    ROLE_LABELS,
    category_label,
    entity_label,
    exercise_title,
    finish_label,
)
from sandbox.errors import UserError
from sandbox.numbers import decimal

_AGE = re.compile(r"(\d+)\s*([dhw])")
_AGE_UNITS = {"d": "days", "h": "hours", "w": "weeks"}
_ANCHOR = re.compile(r"(\d+):([0-9a-f]{64})")


def parse_age(text: str) -> timedelta:
    """``30d``, ``12h`` or ``4w`` as a timedelta (more than zero)."""
    match = _AGE.fullmatch(text.strip().lower())
    if not match or int(match.group(1)) == 0:
        raise UserError(
            f"Ugyldig alder {text!r}. Skriv et helt tal større end 0 og en enhed: "
            "d for dage, h for timer eller w for uger, fx 30d."
        )
    return timedelta(**{_AGE_UNITS[match.group(2)]: int(match.group(1))})


def parse_moment(text: str, *, end_of_day: bool = False) -> datetime:
    """A date or date and time as a person types it, in local time.

    A bare date means the start of that day, or with ``end_of_day`` its end,
    so ``--until 2025-03-31`` includes all of the 31st.
    """
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        pass
    else:
        return datetime.combine(day + timedelta(days=1 if end_of_day else 0), time())
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise UserError(
            f"Ugyldigt tidspunkt {text!r}. Skriv en dato som 2025-03-31 eller et tidspunkt som 2025-03-31T14:30."
        ) from None


def parse_anchor(text: str) -> tuple[int, str]:
    """``NR:HASH`` as printed by ``legeplads log verify``."""
    match = _ANCHOR.fullmatch(text.strip().lower())
    if not match:
        raise UserError(
            f"Ugyldigt anker {text!r}. Brug formen NR:HASH, som `legeplads log verify` skriver den "
            "(postens nummer, kolon, 64 hextegn)."
        )
    return int(match.group(1)), match.group(2)


def findings_text(findings: list[dict[str, Any]]) -> str:
    """A guard summary as a person reads it: ``CPR-nummer ×2, Navn ×1``.

    Always in the order of :data:`~sandbox.audit.labels.ENTITY_LABELS` (not
    the order the guard happened to report), so a CSV column reads the same
    from row to row and two entries with the same findings have the same text.
    """
    ordered = sorted(findings, key=lambda f: _rank(ENTITY_LABELS, f["type"]))
    return ", ".join(f"{entity_label(f['type'])} ×{f['count']}" for f in ordered)


def warnings_text(warnings: list[dict[str, Any]]) -> str:
    """Art. 9 warnings as a person reads them: ``helbred ×1``, in the order of the labels table."""
    ordered = sorted(warnings, key=lambda w: _rank(ART9_LABELS, w["category"]))
    return ", ".join(f"{category_label(w['category'])} ×{w['count']}" for w in ordered)


def types_text(entity_types: list[str]) -> str:
    """Entity types the policy let through unmasked, as labels: ``Adresse, Navn``."""
    return ", ".join(entity_label(t) for t in sorted(entity_types, key=lambda t: _rank(ENTITY_LABELS, t)))


def params_text(params: dict[str, Any]) -> str:
    """Sampling settings as a Danish reader writes them: ``temperatur 0,7; top-p 0,95; seed 1234``.

    ``;`` separates the settings because the decimal comma is taken. The
    order is that of the labels table, so the column reads alike in every row.
    """
    ordered = sorted(params.items(), key=lambda item: _rank(PARAM_LABELS, item[0]))
    return "; ".join(f"{PARAM_LABELS.get(key, key)} {_setting(value)}" for key, value in ordered)


def messages_text(messages: list[dict[str, str]]) -> str:
    """The messages sent to the model, each under its role in Danish: ``[bruger]`` then the text."""
    return "\n\n".join(f"[{ROLE_LABELS.get(m['role'], m['role'])}]\n{m['content']}" for m in messages)


def _setting(value: Any) -> str:
    """One setting's value: a decimal comma for fractions, "tilfældig" for a seed never drawn."""
    if value is None:
        return "tilfældig"
    if isinstance(value, float):
        return decimal(value)
    return str(value)


def conversation_text(entry: dict[str, Any]) -> str:
    """Which conversation turn an entry is: ``tur 2 i samtale c-1a2b…``; empty for a call on its own.

    Retention removes the conversation id (it links the turns of one person)
    and keeps the number, so a purged turn still says which turn it was.
    """
    if entry["turn"] is None:
        return ""
    return f"tur {entry['turn']} i samtale {entry['conversation_id'] or '(id slettet)'}"


def verification_text(result: Verification) -> tuple[str, str]:
    """The outcome of ``verify`` as (verdict, detail), worded once for the Log tab and ``log verify``.

    The verdict is a short sentence a reviewer can act on; the detail says
    how much was checked, or where and how the log is broken.
    """
    if result.ok:
        return "Kæden er intakt.", result.reason
    return "Kæden er IKKE intakt.", f"Første brud: post {result.first_bad}. {result.reason}"


def _rank(table: dict[str, str], code: str) -> tuple[int, str]:
    """Sort key: a code's place in its labels table; codes the table lacks come last, by code."""
    order = list(table)
    return (order.index(code), "") if code in table else (len(order), code)


def local_time(stored: str) -> str:
    """A stored UTC time as this computer's local wall-clock time."""
    return datetime.fromisoformat(stored).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def entry_text(entry: dict[str, Any], width: int = 200, titles: Mapping[str, str] | None = None) -> str:
    """One entry for the terminal: a header line, then findings, prompt and answer.

    ``titles`` (card id → title) names the exercise; without it, its id.

    Texts are shown on one line and cut at ``width`` characters; the export
    has them in full.
    """
    model = entry["model_name"] + (f" [{entry['model_sha256']}]" if entry["model_sha256"] else "")
    header = [
        f"#{entry['id']}",
        local_time(entry["time"]),
        entry["session"] or "–",
        _exercise_text(entry["exercise_id"], titles or {}),
        f"{model} ({entry['backend']})",
        DECISION_LABELS[entry["decision"]].upper(),
    ]
    facts = [f"fundet: {findings_text(entry['entities']) or 'intet'}"]
    if entry["warnings"]:
        facts.append(f"art. 9: {warnings_text(entry['warnings'])}")
    if entry["output_findings"]:
        facts.append(f"i svaret: {findings_text(entry['output_findings'])}")
    if entry["allowed_types"]:
        facts.append(f"tilladt umaskeret: {types_text(entry['allowed_types'])}")
    if entry["prompt_tokens"] is not None:
        facts.append(f"tokens {entry['prompt_tokens']} ind / {entry['completion_tokens']} ud")
    if finish_label(entry):
        facts.append(f"stopårsag: {finish_label(entry)}")
    if entry["latency_ms"] is not None:
        facts.append(f"{entry['latency_ms']:.0f} ms")
    if entry["params"].get("seed") is not None:
        facts.append(f"seed {entry['params']['seed']}")
    if conversation_text(entry):
        facts.append(conversation_text(entry))
    lines = ["  ".join(header), "  " + "  ·  ".join(facts)]
    if entry["purged"]:
        lines.append("  (teksten er slettet efter opbevaringsperioden)")
    for label, value in (("Prompt", entry["prompt"]), ("Svar", entry["response"]), ("Fejl", entry["error"])):
        if value:
            lines.append(f"  {label}: {_one_line(value, width)}")
    return "\n".join(lines)


def _exercise_text(exercise_id: str | None, titles: Mapping[str, str]) -> str:
    """The exercise for the terminal: its title, and the id ``legeplads exercises show`` takes."""
    title = exercise_title(exercise_id, titles)
    if exercise_id is None:
        return title
    return f"øvelse {exercise_id}" if title == exercise_id else f"øvelse: {title} ({exercise_id})"


def _one_line(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
