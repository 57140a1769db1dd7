"""Saved runs: a card run on a real model before the workshop, kept as a file and shown beside the live run.

The demo model cannot show bias or write a good letter, so a trainer records
the card on a real model (a downloaded GGUF or the shared server) and the
workshop shows that run next to what the demo model does live. The promise
is "nothing invented": a saved run is only ever what a model produced, so
the file says which model (name and full sha256), when, with which settings
and seeds, and which log entries hold the calls; and the file is checked on
load before anything in it is shown (see :func:`load`).

What is saved is the runner's result itself (the dataclass the views render)
plus every model call's answer and tokens. The alternative, saving only the
answers and recomputing the result, would mean running the runner again
against a fake model: the pipeline would log those replayed answers as new
model calls, and the measures would be today's code over yesterday's text,
not what the trainer saw when recording. Saving the result is what was shown,
exactly; its price is that a result type changed since the recording no
longer fits, and such a file is refused with a Danish message to record the
card again, never half-shown.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import types
import typing
from collections.abc import Iterator, Sequence
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from sandbox.errors import GuardError, UserError
from sandbox.exercises.catalog import ExerciseDataError, get_card
from sandbox.exercises.runners import run_card
from sandbox.exercises.runners.common import Progress
from sandbox.exercises.schema import Card, danish_errors
from sandbox.guards import Vault
from sandbox.paths import data_dir

FORMAT = "legeplads-optagelse/1"
FOLDER_NAME = "optagelser"
# The largest run (Par: two variants, four repeats, tokens with probabilities) is well under 1 MB.
MAX_BYTES = 5_000_000
MONTHS = (
    "januar", "februar", "marts", "april", "maj", "juni",
    "juli", "august", "september", "oktober", "november", "december",
)
# The result type of each runner, by name: loading never imports a module the file names.
RESULT_TYPES = {
    "gentag": ("sandbox.exercises.runners.gentag", "GentagResult"),
    "hoeringssvar": ("sandbox.exercises.runners.hoeringssvar", "HoeringssvarResult"),
    "laesbarhed": ("sandbox.exercises.runners.laesbarhed", "LaesbarhedResult"),
    "par": ("sandbox.exercises.runners.par", "ParResult"),
    "privatliv": ("sandbox.exercises.runners.privatliv", "PrivatlivResult"),
    "sandsynligheder": ("sandbox.exercises.runners.sandsynligheder", "SandsynlighederResult"),
    "selvtjek": ("sandbox.exercises.runners.selvtjek", "SelvtjekResult"),
}


class RecordingError(UserError):
    """A saved run that cannot be shown: unreadable, edited, too large, for no card, or not passed by the guard."""


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class RecordedCard(_Strict):
    id: str
    title: str
    runner: str
    content_sha256: str


class RecordedModel(_Strict):
    name: str
    sha256: str | None  # None for a shared server, which does not tell us its file
    demo: bool
    backend: str


class RecordedCall(_Strict):
    """One model call as the pipeline returned it (after the output guard)."""

    log_id: int | None
    seed: int
    params: dict[str, int | float | None]
    finish_reason: str
    answer: str
    # (text, probability) per token; None when the output guard changed the answer, because the raw
    # tokens would then hold what the guard masked. The replay then shows the answer word by word.
    tokens: list[tuple[str, float | None]] | None


class Recording(_Strict):
    """The file's content, apart from its checksum."""

    format: Literal["legeplads-optagelse/1"]
    card: RecordedCard
    model: RecordedModel
    recorded_at: str
    app_version: str
    settings: dict[str, Any]
    calls: list[RecordedCall]
    result: dict[str, Any]

    @field_validator("recorded_at")
    @classmethod
    def _is_a_time(cls, value: str) -> str:
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError("ikke et gyldigt tidspunkt (ISO 8601)") from None
        if when.tzinfo is None:  # runs are sorted by time: a time without its zone cannot be compared
            raise ValueError("tidspunktet mangler sin tidszone")
        return value

    @property
    def when(self) -> datetime:
        return datetime.fromisoformat(self.recorded_at)

    @property
    def label(self) -> str:
        """"Optaget med <model> den <dato>": what the workshop shows above a saved run."""
        return f"Optaget med {self.model.name} den {danish_date(self.when)}"


@dataclasses.dataclass(frozen=True)
class Saved:
    """A saved run that passed every check on load, ready to render."""

    path: Path
    recording: Recording
    result: Any
    card_changed: bool


def danish_date(when: datetime) -> str:
    """1. december 2026."""
    return f"{when.day}. {MONTHS[when.month - 1]} {when.year}"


def card_sha256(card: Card) -> str:
    """The hash of the card's validated content, so reformatting its TOML file does not count as a change."""
    return hashlib.sha256(card.model_dump_json().encode("utf-8")).hexdigest()


def folder() -> Path:
    """Where saved runs live: ``optagelser/`` in the data folder (the app lists the open card's runs from here)."""
    return data_dir() / FOLDER_NAME


# -- recording ----------------------------------------------------------------------------------------------


class _Recorder:
    """The pipeline, noting every finished call, so the file holds each answer's tokens and log id.

    Runners ask through :meth:`ask` or :meth:`stream_group` (see
    :class:`~sandbox.exercises.runners.common.Run`); everything else is the
    pipeline's own.
    """

    def __init__(self, pipeline: Any) -> None:
        self._pipeline = pipeline
        self.calls: list[RecordedCall] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pipeline, name)

    def ask(self, request: Any, session: Any, cancel: Any = None) -> Any:
        result = self._pipeline.ask(request, session, cancel)
        self._note(request, result)
        return result

    def stream_group(self, requests: Sequence[Any], session: Any, cancel: Any = None, **options: Any) -> Iterator:
        from sandbox.pipeline import Result

        for index, item in self._pipeline.stream_group(requests, session, cancel, **options):
            if isinstance(item, Result):
                self._note(requests[index], item)
            yield index, item

    def _note(self, request: Any, result: Any) -> None:
        raw = "".join(token.text for token in result.tokens).strip()
        tokens = [(token.text, token.prob) for token in result.tokens] if raw == result.answer else None
        params = {**dataclasses.asdict(request.params), "seed": result.seed}
        self.calls.append(
            RecordedCall(
                log_id=result.log_id,
                seed=result.seed,
                params=params,
                finish_reason=result.finish_reason,
                answer=result.answer,
                tokens=tokens,
            )
        )


def record(card: Card, pipeline: Any, session: Any, progress: Progress | None = None) -> Recording:
    """Run ``card`` with its own settings and material through ``pipeline`` and return it as a saved run."""
    recorder = _Recorder(pipeline)
    result = run_card(card, recorder, session, progress=progress)
    info = pipeline.info
    saved = Recording(
        format=FORMAT,
        card=RecordedCard(id=card.id, title=card.title, runner=card.runner.name, content_sha256=card_sha256(card)),
        model=RecordedModel(
            name=info.name, sha256=info.sha256, demo=info.demo, backend="lokal modelfil" if info.path else "modelserver"
        ),
        recorded_at=datetime.now().astimezone().isoformat(timespec="seconds"),
        app_version=metadata.version("legeplads"),
        settings=card.settings().model_dump(mode="json"),
        calls=recorder.calls,
        # A result holds text for the participant's own screen (the answer with the originals put
        # back, the card's material as typed); a file shown to a room holds only what the guard lets by.
        result=_masked(json.loads(json.dumps(dataclasses.asdict(result))), pipeline.guard, session.vault),
    )
    _check_guard(saved, pipeline.guard, "den nye optagelse")  # the same check as on load, now
    return saved


def default_path(recording: Recording) -> Path:
    """``optagelser/<kort>--<model>--<tidspunkt>.json``: sorted by card, readable in a file list."""
    model = re.sub(r"[^a-z0-9]+", "-", recording.model.name.lower()).strip("-") or "model"
    stamp = recording.when.strftime("%Y%m%d-%H%M%S")
    return folder() / f"{recording.card.id}--{model}--{stamp}.json"


def save(recording: Recording, path: Path) -> Path:
    """Write ``recording`` with its checksum to ``path`` (folders made as needed)."""
    body = recording.model_dump(mode="json")
    text = json.dumps({"checksum": checksum(body), **body}, ensure_ascii=False, indent=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Readable by this user only, like every file the app writes.
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as file:
        file.write(text + "\n")
    return path


def checksum(body: dict[str, Any]) -> str:
    """sha256 over the canonical JSON of everything but the checksum.

    It catches a file edited by hand (a "better" answer typed in), not a
    forger who recomputes it; a keyed checksum would stop files moving from
    the trainer's laptop to the workshop server. What protects the room from
    an answer nobody's model wrote is that the file names the log entries,
    and what protects it from personal data is the guard check on load.
    """
    canonical = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# -- loading ------------------------------------------------------------------------------------------------


def load(path: Path, guard: Any) -> Saved:
    """Read and check a saved run; a :class:`RecordingError` in Danish for anything that fails.

    Checked in order: size, JSON, checksum, schema and types, that the card
    exists and (if its content changed since) a note saying so, that the
    result fits the card's runner, and that every answer passes the output
    guard again (it did when recorded; the guard may have learnt since, and
    a file can come from anywhere). Any doubt refuses the whole file.
    """
    name = path.name
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise RecordingError(
                f"Optagelsen {name} er for stor ({size // 1_000_000} MB; højst {MAX_BYTES // 1_000_000} MB)."
            )
        raw = json.loads(path.read_bytes().decode("utf-8"))
    except OSError as error:
        raise RecordingError(f"Optagelsen {name} kan ikke læses: {error.strerror}.") from None
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise RecordingError(f"Optagelsen {name} er ikke gyldig JSON.") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("checksum"), str):
        raise RecordingError(f"Optagelsen {name} mangler sin kontrolsum; det er ikke en optagelse fra legeplads.")
    stated = raw.pop("checksum")
    if stated != checksum(raw):
        raise RecordingError(
            f"Optagelsen {name} er ændret efter optagelsen (kontrolsummen passer ikke) og vises ikke. "
            "En optagelse må kun indeholde det, modellen skrev: optag øvelsen igen."
        )
    try:
        # JSON mode: strict types, and a JSON array is a valid tuple.
        recording = Recording.model_validate_json(json.dumps(raw))
    except ValidationError as error:
        problems = "\n  ".join(danish_errors(error))
        raise RecordingError(f"Optagelsen {name} følger ikke formatet:\n  {problems}") from None
    try:
        card = get_card(recording.card.id)
    except ExerciseDataError:
        raise RecordingError(
            f"Optagelsen {name} hører til øvelsen '{recording.card.id}', som ikke findes her."
        ) from None
    if card.runner.name != recording.card.runner:
        raise RecordingError(
            f"Optagelsen {name} er lavet med en anden slags øvelse ({recording.card.runner}) end kortet "
            f"'{card.id}' nu er ({card.runner.name}): optag øvelsen igen."
        )
    result = result_from_json(recording.card.runner, recording.result, name)
    _check_guard(recording, guard, name)
    return Saved(path, recording, result, card_changed=card_sha256(card) != recording.card.content_sha256)


def for_card(card_id: str, where: Path, guard: Any) -> tuple[list[Saved], list[str]]:
    """The saved runs of ``card_id`` in ``where``, newest first, and a Danish note per file refused.

    Every file is checked (a file's name proves nothing); a refused file is
    reported only if its name says it is this card's, so one broken file
    does not haunt every card.
    """
    found: list[Saved] = []
    notes: list[str] = []
    if not where.is_dir():
        return found, notes
    for path in sorted(where.glob("*.json")):
        try:
            saved = load(path, guard)
        except RecordingError as error:
            if path.name.startswith(f"{card_id}--"):
                notes.append(error.message)
            continue
        except Exception:  # noqa: BLE001 - a file nobody foresaw is refused like any other, never shown
            if path.name.startswith(f"{card_id}--"):
                notes.append(f"Optagelsen {path.name} kunne ikke læses og vises ikke: optag øvelsen igen.")
            continue
        if saved.recording.card.id == card_id:
            found.append(saved)
    found.sort(key=lambda saved: saved.recording.when, reverse=True)
    return found, notes


def _strings(value: Any) -> Iterator[str]:
    """Every string in JSON data (a recorded result: answers, spans, summaries, settings shown)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _masked(value: Any, guard: Any, vault: Vault) -> Any:
    """JSON data with every value the run's vault knows, and whatever else the guard finds, masked."""
    if isinstance(value, str):
        return guard.check_output(vault.mask(value), vault).text if value.strip() else value
    if isinstance(value, dict):
        return {key: _masked(item, guard, vault) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked(item, guard, vault) for item in value]
    return value


# The guard reads the file's texts in pieces of about this many characters, paragraphs apart.
_CHECK_CHARS = 20_000


def _check_guard(recording: Recording, guard: Any, name: str) -> None:
    """No text in the file may hold anything the output guard would mask; any doubt refuses the file.

    Every string of the result is read (not only the answers: a result also
    holds summaries, spans and the prompt), with the calls' answers and
    tokens. They are read together, a blank line apart, in a few pieces: one
    guard call per span would take seconds per card.
    """
    texts = set(_strings(recording.result)) | {call.answer for call in recording.calls}
    texts |= {"".join(text for text, _ in call.tokens) for call in recording.calls if call.tokens is not None}
    pieces: list[list[str]] = [[]]
    for text in sorted(t for t in texts if t.strip()):
        if sum(len(t) for t in pieces[-1]) > _CHECK_CHARS:
            pieces.append([])
        pieces[-1].append(text)
    for piece in pieces:
        try:
            checked = guard.check_output("\n\n".join(piece), Vault())
        except GuardError:
            checked = None
        if checked is None or checked.entities or checked.decision == "blocked":
            raise RecordingError(
                f"Optagelsen {name} indeholder tekst, som værnet ikke godkender nu (det ville maskere noget "
                "i den). Den vises ikke: optag øvelsen igen."
            )


# -- a runner's result from JSON ----------------------------------------------------------------------------


def result_from_json(runner: str, data: dict[str, Any], name: str) -> Any:
    """The runner's result dataclass from its JSON, every field checked against the type it declares."""
    import importlib

    if runner not in RESULT_TYPES:
        raise RecordingError(f"Optagelsen {name} er lavet med en øvelsestype, legepladsen ikke kender ({runner}).")
    module, cls = RESULT_TYPES[runner]
    try:
        return _decode(getattr(importlib.import_module(module), cls), data, "resultat")
    except _Mismatch as error:
        raise RecordingError(
            f"Optagelsen {name} passer ikke til denne version af øvelsen ({error}). "
            "Den er lavet med en anden version af legepladsen: optag øvelsen igen."
        ) from None


class _Mismatch(Exception):
    """A JSON value that is not what the result type declares (its path and what was expected)."""


def _decode(tp: Any, value: Any, where: str) -> Any:
    """``value`` (parsed JSON) as type ``tp``; raises :class:`_Mismatch` instead of guessing."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        raise _Mismatch(f"{where}: typen kan ikke kontrolleres")
    if dataclasses.is_dataclass(tp):
        return _decode_dataclass(tp, value, where)
    if origin in (types.UnionType, typing.Union):
        if value is None and type(None) in args:
            return None
        options = [arg for arg in args if arg is not type(None)]
        if len(options) != 1:
            raise _Mismatch(f"{where}: typen kan ikke kontrolleres")
        return _decode(options[0], value, where)
    if origin is tuple:
        if not isinstance(value, list):
            raise _Mismatch(f"{where}: forventede en liste")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], item, f"{where}[{i}]") for i, item in enumerate(value))
        if len(args) != len(value):
            raise _Mismatch(f"{where}: forventede {len(args)} elementer")
        pairs = enumerate(zip(args, value, strict=True))
        return tuple(_decode(arg, item, f"{where}[{i}]") for i, (arg, item) in pairs)
    if origin is frozenset:
        if not isinstance(value, list):
            raise _Mismatch(f"{where}: forventede en liste")
        return frozenset(_decode(args[0], item, f"{where}[{i}]") for i, item in enumerate(value))
    if origin is Literal:
        if value not in args:
            raise _Mismatch(f"{where}: ugyldig værdi")
        return value
    return _decode_plain(tp, value, where)


def _decode_plain(tp: Any, value: Any, where: str) -> Any:
    if tp is bool and isinstance(value, bool):
        return value
    if tp is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if tp is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if tp is str and isinstance(value, str):
        return value
    if tp is type(None) and value is None:
        return None
    raise _Mismatch(f"{where}: forventede {getattr(tp, '__name__', tp)}")


def _decode_dataclass(cls: Any, value: Any, where: str) -> Any:
    if not isinstance(value, dict):
        raise _Mismatch(f"{where}: forventede et objekt")
    hints = typing.get_type_hints(cls)
    fields = {item.name: item for item in dataclasses.fields(cls) if item.init}
    unknown = set(value) - set(fields)
    if unknown:
        raise _Mismatch(f"{where}: ukendt felt {sorted(unknown)[0]}")
    kwargs = {}
    for key, item in fields.items():
        if key in value:
            kwargs[key] = _decode(hints[key], value[key], f"{where}.{key}")
        elif item.default is dataclasses.MISSING and item.default_factory is dataclasses.MISSING:
            raise _Mismatch(f"{where}: feltet {key} mangler")
    return cls(**kwargs)
