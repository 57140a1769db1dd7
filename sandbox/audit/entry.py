"""What one log entry holds, and how it becomes a database row.

The row layout is decided here once: which columns are kept for the life of
the log (what happened) and which are content that retention removes (what
was written, and by which pseudonym). The hash chain, the store and the
export all read these two lists, so a column cannot be added to one and
forgotten in another.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

DECISIONS = ("sent", "redacted", "blocked", "guard_error")
FINISH_REASONS = ("stop", "length", "cancelled")
# Their Danish words are in sandbox.audit.labels.

# The only keys a guard summary may carry. A summary describes what was found
# (type, how often, how sure, by which recognizer, what the policy did); a key
# outside this set could carry a found value into the log, so it is refused.
FINDING_KEYS = frozenset({"type", "count", "max_score", "min_score", "recognizers", "action"})
WARNING_KEYS = frozenset({"category", "count"})
MESSAGE_KEYS = frozenset({"role", "content"})

# Kept for the life of the log. Summaries and numbers only.
META_COLUMNS = (
    "id",
    "time",
    "exercise_id",
    "model_name",
    "model_sha256",
    "backend",
    "params",
    "entities",
    "warnings",
    "decision",
    "output_findings",
    "prompt_tokens",
    "completion_tokens",
    "finish_reason",
    "latency_ms",
    "guard_config",
    "allowed_types",
    "turn",
)
# Removed by retention: the free text, the pseudonym that links it to a person, and the
# conversation id, which links the entry to the others of that person's conversation.
CONTENT_COLUMNS = ("session", "messages", "prompt", "response", "error", "conversation_id")
# Columns added after the first schema. The chain hashes them only when an entry has
# any of them set, so entries written before they existed keep their hashes
# (see sandbox.audit.chain.hashed).
ADDED_META = ("turn",)
ADDED_CONTENT = ("conversation_id",)
# Stored as canonical JSON text.
# The chain's bookkeeping (see sandbox.audit.chain).
CHAIN_COLUMNS = ("content_hash", "prev_hash", "hash", "purge_id")
# Every column, in the order the store writes and reads them.
ENTRY_COLUMNS = (*META_COLUMNS, *CONTENT_COLUMNS, *CHAIN_COLUMNS)
JSON_COLUMNS = frozenset({"params", "entities", "warnings", "output_findings", "allowed_types", "messages"})


@dataclass(frozen=True)
class LogEntry:
    """One pipeline call as the compliance log records it.

    Everything here is already redacted by the pipeline: placeholders instead
    of personal data, summaries instead of found values. The log stores these
    fields and nothing else.
    """

    session: str
    exercise_id: str | None
    model_name: str
    model_sha256: str | None
    backend: str
    params: dict
    messages: list[dict]
    prompt: str
    entities: list[dict]
    warnings: list[dict]
    decision: str
    output_findings: list[dict]
    response: str | None
    prompt_tokens: int | None
    completion_tokens: int | None
    finish_reason: str | None
    latency_ms: float | None
    error: str | None
    guard_config: str
    allowed_types: Sequence[str] = ()
    # A turn in a conversation (the Legeplads tab): its random id and the turn's number from 1.
    conversation_id: str | None = None
    turn: int | None = None

    def __post_init__(self) -> None:
        # Programming errors in the caller, not user input: plain ValueError.
        if self.decision not in DECISIONS:
            raise ValueError(f"decision must be one of {DECISIONS}, got {self.decision!r}")
        if self.finish_reason is not None and self.finish_reason not in FINISH_REASONS:
            raise ValueError(f"finish_reason must be one of {FINISH_REASONS} or None, got {self.finish_reason!r}")
        _check_keys("entities", self.entities, FINDING_KEYS)
        _check_keys("output_findings", self.output_findings, FINDING_KEYS)
        _check_keys("warnings", self.warnings, WARNING_KEYS)
        _check_keys("messages", self.messages, MESSAGE_KEYS)
        if (self.conversation_id is None) != (self.turn is None) or (self.turn is not None and self.turn < 1):
            raise ValueError(f"a turn needs a conversation id and a number from 1, got {self.turn!r}")

    def columns(self) -> dict[str, Any]:
        """The entry as column values (without id and time), typed as SQLite returns them.

        Numbers are normalised (an int latency becomes a float, as the REAL
        column will hand it back) so the hash computed now equals the hash
        recomputed from the stored row.
        """
        return {
            "exercise_id": self.exercise_id,
            "model_name": self.model_name,
            "model_sha256": self.model_sha256,
            "backend": self.backend,
            "params": canonical_json(self.params),
            "entities": canonical_json(self.entities),
            "warnings": canonical_json(self.warnings),
            "decision": self.decision,
            "output_findings": canonical_json(self.output_findings),
            "prompt_tokens": _optional(int, self.prompt_tokens),
            "completion_tokens": _optional(int, self.completion_tokens),
            "finish_reason": self.finish_reason,
            "latency_ms": _optional(float, self.latency_ms),
            "guard_config": self.guard_config,
            "allowed_types": canonical_json(sorted(self.allowed_types)),
            "turn": _optional(int, self.turn),
            "session": self.session,
            "messages": canonical_json(self.messages),
            "prompt": self.prompt,
            "response": self.response,
            "error": self.error,
            "conversation_id": self.conversation_id,
        }


def canonical_json(value: Any) -> str:
    """One spelling per value: sorted keys, no spaces, UTF-8 text kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def row_to_dict(row: Sequence[Any]) -> dict[str, Any]:
    """A stored row (:data:`ENTRY_COLUMNS` order) as the read API returns it.

    JSON columns are parsed; the chain bookkeeping is reduced to ``purged``
    and the entry's ``hash``, which a reviewer can cite.
    """
    stored = dict(zip(ENTRY_COLUMNS, row, strict=True))
    entry = {name: stored[name] for name in (*META_COLUMNS, *CONTENT_COLUMNS)}
    for name in JSON_COLUMNS:
        if entry[name] is not None:
            entry[name] = json.loads(entry[name])
    entry["purged"] = stored["purge_id"] is not None
    entry["hash"] = stored["hash"]
    return entry


def _check_keys(field: str, items: Sequence[Mapping[str, Any]], allowed: frozenset[str]) -> None:
    for item in items:
        extra = set(item) - allowed
        if extra:
            raise ValueError(f"{field} may only carry {sorted(allowed)}; refusing {sorted(extra)}")


def _optional(kind: type, value: Any) -> Any:
    return None if value is None else kind(value)
