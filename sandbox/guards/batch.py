"""``legeplads redact``: text from stdin, redacted text or JSON out, one guard for the whole run.

The CLI reads bytes, so undecodable input gets a Danish message naming the
byte, not a traceback. In ``--jsonl`` mode every line is its own document
with its own vault: the same name on two lines gets ``[PERSON_1]`` both
times, and a line's result never depends on the lines before it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from sandbox.errors import UserError
from sandbox.guards.guard import Guard
from sandbox.guards.redaction import Vault
from sandbox.guards.result import GuardResult


def decode(data: bytes, where: str = "Teksten") -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UserError(
            f"{where} er ikke gyldig UTF-8-tekst (byte {error.start + 1} kan ikke læses). "
            "Gem filen som UTF-8, eller send kun tekst."
        ) from None


def redact_document(guard: Guard, data: bytes) -> GuardResult:
    return guard.check(decode(data), Vault())


def redact_jsonl(guard: Guard, lines: Iterable[bytes]) -> Iterator[dict]:
    """One result object per non-empty input line, in order."""
    for number, raw in enumerate(lines, start=1):
        line = decode(raw, f"Linje {number}").strip()
        if not line:
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as error:
            raise UserError(f"Linje {number} er ikke gyldig JSON ({error.msg}, tegn {error.pos + 1}).") from None
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise UserError(f'Linje {number} skal være et JSON-objekt med feltet "text" som tekst.')
        yield guard.check(item["text"], Vault()).to_json()
