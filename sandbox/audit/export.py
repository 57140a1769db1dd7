"""Exports for the people who review the log: Excel-ready CSV and complete JSON Lines.

CSV is written for Danish Excel: UTF-8 with a byte order mark (so æøå are
read as UTF-8), ``;`` between fields and decimal commas (the comma is the
decimal separator), Danish column names, and Danish words for every code
(types found, art. 9 categories, decision, stop reason, exercise title) from
:mod:`sandbox.audit.labels`; docs/compliance-log.md describes each column.
Cells that start like a formula are prefixed with ``'`` so a prompt cannot
run as a formula in the reviewer's spreadsheet. JSON Lines keeps every
field as stored, codes included, for tools and for answering an access
request in full.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, BinaryIO, TextIO

from sandbox.audit.labels import DECISION_LABELS, exercise_title, finish_label
from sandbox.audit.text import findings_text, local_time, messages_text, params_text, types_text, warnings_text

# (header, how to get the cell from an entry dict), in column order.
CSV_COLUMNS: tuple[tuple[str, Callable[[dict[str, Any]], Any]], ...] = (
    ("Nr.", lambda e: e["id"]),
    ("Tidspunkt (UTC)", lambda e: e["time"]),
    ("Tidspunkt (lokal tid)", lambda e: local_time(e["time"])),
    ("Session", lambda e: e["session"]),
    ("Øvelse", lambda e: e["exercise_title"]),  # added by write_csv
    ("Øvelse-id", lambda e: e["exercise_id"]),
    ("Samtale-id", lambda e: e["conversation_id"]),
    ("Tur i samtalen", lambda e: e["turn"]),
    ("Model", lambda e: e["model_name"]),
    ("Modelfilens sha256", lambda e: e["model_sha256"]),
    ("Afvikling (backend)", lambda e: e["backend"]),
    ("Parametre (inkl. seed)", lambda e: params_text(e["params"])),
    ("Beslutning", lambda e: DECISION_LABELS[e["decision"]]),
    ("Fundet i prompten", lambda e: findings_text(e["entities"])),
    ("Art. 9-advarsler", lambda e: warnings_text(e["warnings"])),
    ("Fundet i svaret", lambda e: findings_text(e["output_findings"])),
    ("Tilladt umaskeret", lambda e: types_text(e["allowed_types"])),
    ("Prompt (maskeret)", lambda e: e["prompt"]),
    ("Sendt til modellen", lambda e: None if e["messages"] is None else messages_text(e["messages"])),
    ("Svar (maskeret)", lambda e: e["response"]),
    ("Prompt-tokens", lambda e: e["prompt_tokens"]),
    ("Svar-tokens", lambda e: e["completion_tokens"]),
    ("Stopårsag", finish_label),
    ("Svartid (ms)", lambda e: None if e["latency_ms"] is None else f"{e['latency_ms']:.1f}".replace(".", ",")),
    ("Fejl", lambda e: e["error"]),
    ("Værnets konfiguration", lambda e: e["guard_config"]),
    ("Indhold slettet (opbevaring)", lambda e: "ja" if e["purged"] else "nej"),
    ("Postens hash", lambda e: e["hash"]),
)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def write_csv(entries: Iterable[dict[str, Any]], out: TextIO, titles: Mapping[str, str]) -> int:
    """The entries for Excel; ``titles`` (card id → title) names each entry's exercise (see ``exercise_title``)."""
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([header for header, _ in CSV_COLUMNS])
    count = 0
    for entry in entries:
        entry = {**entry, "exercise_title": exercise_title(entry["exercise_id"], titles)}
        writer.writerow([spreadsheet_cell(cell(entry)) for _, cell in CSV_COLUMNS])
        count += 1
    return count


def write_jsonl(entries: Iterable[dict[str, Any]], out: TextIO) -> int:
    count = 0
    for entry in entries:
        out.write(json.dumps(entry, ensure_ascii=False) + "\n")
        count += 1
    return count


FORMATS = ("csv", "jsonl")


@contextlib.contextmanager
def text_stream(out: TextIO | BinaryIO) -> Iterator[TextIO]:
    """``out`` as UTF-8 text; a binary stream is wrapped and handed back unclosed."""
    if isinstance(out, io.TextIOBase):
        yield out
        return
    wrapper = io.TextIOWrapper(out, encoding="utf-8", newline="")
    try:
        yield wrapper
    finally:
        wrapper.flush()
        wrapper.detach()


def spreadsheet_cell(value: Any) -> Any:
    """``value`` for a CSV cell that Excel opens: text that Excel would run as a formula is kept as text."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
