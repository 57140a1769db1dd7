"""The one door to the model: guard(input) → backend → guard(output) → log.

The web app, the CLI and the exercises all call :class:`Pipeline`; nothing
else touches a backend. The order is the product's promise: a prompt reaches
the model only after the guard has replaced personal data and only while the
compliance log can record it; the answer is scanned again before it is shown
as final or logged.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from sandbox.audit import AuditLog, LogEntry
from sandbox.audit.labels import entity_label
from sandbox.backends.base import Backend, Finished, GenerationParams, Message, ModelInfo, Token
from sandbox.errors import BlockedError, GenerationError, GuardError, UserError
from sandbox.guards import Guard, GuardPolicy, GuardResult, Vault
from sandbox.numbers import thousands

log = logging.getLogger(__name__)

# A pasted report of this size is already far beyond any local model's
# context; refusing early keeps the guard fast and the message clear.
MAX_PROMPT_CHARS = 100_000
# 128 random bits: `log export --session` answers access requests, so two
# people must never share a pseudonym (at 32 bits, 50,000 sessions collide
# with ~25 % probability; at 128 bits, never in practice).
PSEUDONYM_BYTES = 16
# A conversation id only tells one person's conversations apart in the log.
CONVERSATION_BYTES = 8
# From this share of the model's context on, the Legeplads tab warns that the conversation is nearly full.
NEARLY_FULL = 0.75


def new_pseudonym() -> str:
    return "s-" + secrets.token_hex(PSEUDONYM_BYTES)


def new_conversation_id() -> str:
    return "c-" + secrets.token_hex(CONVERSATION_BYTES)


@dataclass
class Session:
    """One person's session: a pseudonym for the log and their placeholder vault.

    The vault (placeholder → original) lives only in this object, in memory;
    it dies with the session.
    """

    pseudonym: str = field(default_factory=new_pseudonym)
    vault: Vault = field(default_factory=Vault, repr=False)


@dataclass(frozen=True)
class Conversation:
    """The turns so far of one conversation, exactly as the model saw them (masked) and wrote them (guarded).

    Only :meth:`after` adds turns, and only from a :class:`Result`: what a
    follow-up sends along is what the pipeline already sent and the output
    guard already let through, so nothing unmasked can enter the context.
    The session's one vault keeps a placeholder the same from turn to turn.
    """

    id: str = field(default_factory=new_conversation_id)
    earlier: tuple[Message, ...] = ()

    @property
    def turn(self) -> int:
        """The number (from 1) of the turn asked next."""
        return len(self.earlier) // 2 + 1

    def after(self, result: Result) -> Conversation:
        """This conversation with ``result``'s turn added: its masked prompt and guarded answer."""
        return replace(self, earlier=(*self.earlier, result.sent[-1], Message("assistant", result.answer)))


@dataclass(frozen=True)
class Request:
    prompt: str
    params: GenerationParams = GenerationParams()
    system: str | None = None
    exercise_id: str | None = None
    # A turn in a conversation: its earlier turns are sent before the prompt.
    conversation: Conversation | None = None


@dataclass(frozen=True)
class Result:
    """A finished answer and everything needed to show and explain it."""

    answer: str
    seed: int
    tokens: tuple[Token, ...]
    sent: tuple[Message, ...]
    input_guard: GuardResult
    output_guard: GuardResult
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    latency_ms: float
    log_id: int | None
    # How many answers were decoded in one pass with this one (1 = alone); a
    # seed gives the same answer again only decoded the same way.
    decoded_together: int = 1

    def restored(self, session: Session) -> str:
        """The answer with the user's own originals put back (their screen only)."""
        return session.vault.restore(self.answer)


class Pipeline:
    def __init__(self, backend: Backend, guard: Guard, log: AuditLog) -> None:
        self._backend = backend
        self.guard = guard
        self.log = log

    @classmethod
    def open(
        cls,
        model: str | Path | None = None,
        *,
        log_path: Path | None = None,
        policy: GuardPolicy | None = None,
        n_ctx: int | None = None,
        backend: str | None = None,
        base_url: str | None = None,
        api_key: str | None = None,
        remote_model: str | None = None,
        slots: int | None = None,
    ) -> Pipeline:
        """Load the chosen model (see :mod:`sandbox.models`), the guard and the log.

        ``backend="openai"`` (or ``$LEGEPLADS_BACKEND``) uses a shared server at
        ``base_url`` instead (see :mod:`sandbox.backends.openai`); the guard and
        the log stay here either way. ``slots``: how many answers a local
        model decodes at once (default by model size, or ``$LEGEPLADS_SLOTS``).
        """
        from sandbox import models
        from sandbox.backends.llama import DEFAULT_CONTEXT, LlamaBackend
        from sandbox.backends.openai import from_settings

        remote = from_settings(backend, base_url, api_key, remote_model)
        if remote is not None:
            if model:
                remote.close()
                raise UserError(
                    "--model er en lokal modelfil; med --backend openai vælges modellen med --remote-model."
                )
            return cls(remote, Guard(policy), AuditLog(log_path))
        candidate = models.select(model)
        path = models.prepare(candidate)
        local = LlamaBackend(
            path,
            name=candidate.name,
            demo=candidate.demo,
            sha256=models.file_sha256(path),
            n_ctx=n_ctx or DEFAULT_CONTEXT,
            slots=slots,
        )
        return cls(local, Guard(policy), AuditLog(log_path))

    @property
    def info(self) -> ModelInfo:
        return self._backend.info

    @property
    def slots(self) -> int:
        """How many calls the backend decodes at once (1 for one that answers one at a time)."""
        return int(getattr(self._backend, "slots", 1))

    @property
    def busy(self) -> int:
        """Answers the model is writing or has waiting now (0 where the backend cannot tell, as a shared server)."""
        return int(getattr(self._backend, "busy", 0))

    def context_used(self, conversation: Conversation) -> int:
        """Tokens the conversation's turns so far fill in the model's context (0 before the first)."""
        return self._backend.count_tokens(conversation.earlier) if conversation.earlier else 0

    def preview(self, text: str, session: Session) -> GuardResult:
        """What the model would see for ``text``; sends nothing, logs nothing."""
        return self.guard.preview(text, session.vault)

    def redact(self, text: str, session: Session) -> GuardResult:
        """Mask ``text`` for keeping (the learning log), with this session's placeholders; sends and logs nothing.

        Unlike :meth:`preview`, the placeholders it hands out stay in the
        session's vault, so two people in one text, or in two texts, get two
        numbers, and the same person the number the playground gave them.
        """
        return self.guard.check(text, session.vault)

    def ask(self, request: Request, session: Session, cancel: threading.Event | None = None) -> Result:
        """Run a request to the end and return its :class:`Result`."""
        result = None
        for item in self.stream(request, session, cancel):
            if isinstance(item, Result):
                result = item
        assert result is not None, "stream always ends with a Result or raises"
        return result

    def stream(
        self, request: Request, session: Session, cancel: threading.Event | None = None
    ) -> Iterator[Token | Result]:
        """Yield the model's tokens as they come, then one :class:`Result`.

        Streamed tokens are the model's raw output; the :class:`Result`
        carries the answer after the output guard, which is what should stay
        on screen and is what is logged.
        """
        cancel = cancel or threading.Event()
        started = time.perf_counter()
        entry, user, sent = self._guarded(request, session)
        seed = _seed(request.params)
        entry = _with_seed(entry, request.params, seed)
        tokens: list[Token] = []
        finished: Finished | None = None
        stream = self._backend.stream(sent, request.params, seed, cancel)
        try:
            for item in stream:
                if isinstance(item, Finished):
                    finished = item
                else:
                    tokens.append(item)
                    yield item
            if finished is None:
                raise GenerationError(UNEXPECTED_MODEL_FAILURE)
        except (Exception, GeneratorExit) as error:  # noqa: BLE001 - the prompt was sent: the call is logged
            stream.close()
            self._unfinished(error, [(entry, tokens)], session, started)
            raise self._reported(error) from None
        finally:
            stream.close()  # releases the model at once, whatever happened
        yield self._finished(entry, tokens, finished, session, started, seed, sent, user)

    def stream_group(
        self,
        requests: Sequence[Request],
        session: Session,
        cancel: threading.Event | None = None,
        *,
        steady: bool = False,
    ) -> Iterator[tuple[int, Token | Result]]:
        """Answer several requests (own prompt or the same, own settings, own seed) decoded together.

        Yields ``(index, token)`` as they come and ``(index, result)`` as each
        answer ends. Each distinct prompt is guarded once, and all before
        anything is sent; each answer is output-guarded and logged on its
        own, exactly as if it had been asked alone. A backend without
        batching answers them one after the other.

        The group is decoded *steady* (no answer depends on when the others
        end) when asked, and whenever chosen seeds (or greedy calls) sit
        beside drawn ones: such an answer must come back the next time,
        whatever seeds its neighbours draw.
        """
        cancel = cancel or threading.Event()
        started = time.perf_counter()
        guarded: dict[tuple, tuple[LogEntry, GuardResult, tuple[Message, ...]]] = {}
        for request in requests:
            if _asked(request) not in guarded:
                guarded[_asked(request)] = self._guarded(request, session)
        calls = [guarded[_asked(r)] for r in requests]
        seeds = [_seed(request.params) for request in requests]
        # A greedy call (temperature 0) gives one answer whatever its seed: it counts as chosen.
        drawn = {request.params.seed is None and request.params.temperature > 0 for request in requests}
        steady = steady or len(drawn) > 1
        entries = [_with_seed(call[0], r.params, seed) for call, r, seed in zip(calls, requests, seeds, strict=True)]
        tokens: list[list[Token]] = [[] for _ in requests]
        open_ = set(range(len(requests)))
        stream = self._backend.stream_group(
            [(sent, r.params, seed) for (_, _, sent), r, seed in zip(calls, requests, seeds, strict=True)],
            cancel,
            steady=steady,
        )
        try:
            for index, item in stream:
                if isinstance(item, Finished):
                    open_.discard(index)
                    _, user, sent = calls[index]
                    result = self._finished(
                        entries[index], tokens[index], item, session, started, seeds[index], sent, user
                    )
                    yield index, result
                else:
                    tokens[index].append(item)
                    yield index, item
            if open_:
                raise GenerationError(UNEXPECTED_MODEL_FAILURE)
        except (Exception, GeneratorExit) as error:  # noqa: BLE001 - the prompts were sent: the calls are logged
            stream.close()
            self._unfinished(error, [(entries[i], tokens[i]) for i in sorted(open_)], session, started)
            raise self._reported(error) from None
        finally:
            stream.close()

    def _guarded(self, request: Request, session: Session) -> tuple[LogEntry, GuardResult, tuple[Message, ...]]:
        """Check and guard the prompt; the log entry so far and the messages to send. Blocked → logged and raised."""
        _check_prompt(request.prompt)
        self.log.check_writable()
        entry = self._entry(request, session)
        try:
            user = self.guard.check(request.prompt, session.vault)
            system = self.guard.check(request.system, session.vault) if request.system else None
        except GuardError as error:
            self.log.append(replace(entry, decision="guard_error", error=error.message))
            raise
        entry = replace(
            entry,
            prompt=user.text,
            entities=_merge_summaries(user, system),
            warnings=_warning_summary(user, system),
            decision=_decision(user, system),
        )
        if entry.decision == "blocked":
            found = [e for g in (user, system) if g for e in g.entities]
            blocked = sorted({entity_label(e.type) for e in found if e.action == "block"})
            self.log.append(replace(entry, error="blokeret af værnets politik"))
            raise BlockedError(
                "Prompten blev ikke sendt: den indeholder "
                + ", ".join(blocked)
                + ", som legepladsens politik ikke tillader at sende, heller ikke maskeret."
            )
        earlier = request.conversation.earlier if request.conversation else ()
        sent = (*([Message("system", system.text)] if system else []), *earlier, Message("user", user.text))
        if earlier:
            self._check_fits(sent, request.params)
        return replace(entry, messages=[{"role": m.role, "content": m.content} for m in sent]), user, sent

    def _check_fits(self, sent: tuple[Message, ...], params: GenerationParams) -> None:
        """Refuse a follow-up turn whose messages and longest answer would not fit in the model's context.

        Nothing is cut to make it fit: the model gets the whole conversation
        or nothing, so the user always knows what it saw. Refused before
        anything is sent, so nothing is logged.
        """
        used = self._backend.count_tokens(sent)
        limit = self._backend.info.context_length
        if used + params.max_tokens > limit:
            raise UserError(conversation_full(used, params.max_tokens, limit))

    def _finished(
        self,
        entry: LogEntry,
        tokens: list[Token],
        finished: Finished,
        session: Session,
        started: float,
        seed: int,
        sent: tuple[Message, ...],
        user: GuardResult,
    ) -> Result:
        """Guard the answer, log it, and return it as a :class:`Result` (or log the failure and raise)."""
        try:
            output = self.guard.check_output("".join(t.text for t in tokens).strip(), session.vault)
        except GuardError as error:
            self.log.append(replace(entry, error=error.message, latency_ms=_ms(started)))
            raise
        except Exception as error:  # noqa: BLE001 - the answer is neither shown nor logged unchecked
            log.warning("output guard failed unexpectedly: %s", type(error).__name__)
            self.log.append(replace(entry, error=UNEXPECTED_GUARD_FAILURE, latency_ms=_ms(started)))
            raise GuardError(UNEXPECTED_GUARD_FAILURE) from None
        latency = _ms(started)
        params = {**entry.params, "decoded_together": finished.rows}
        log_id = self.log.append(
            replace(
                entry,
                params=params,
                response=output.text,
                output_findings=output.summary(),
                prompt_tokens=finished.prompt_tokens,
                completion_tokens=finished.completion_tokens,
                finish_reason=finished.reason,
                latency_ms=latency,
            )
        )
        return Result(
            answer=output.text,
            seed=seed,
            tokens=tuple(tokens),
            sent=sent,
            input_guard=user,
            output_guard=output,
            finish_reason=finished.reason,
            prompt_tokens=finished.prompt_tokens,
            completion_tokens=finished.completion_tokens,
            latency_ms=latency,
            log_id=log_id,
            decoded_together=finished.rows,
        )

    def _unfinished(
        self, error: BaseException, calls: list[tuple[LogEntry, list[Token]]], session: Session, started: float
    ) -> None:
        """Log calls that ended without a :class:`Finished`: the prompt was sent, so each is recorded."""
        if isinstance(error, UserError):
            message: str | None = error.message
        elif isinstance(error, GeneratorExit):
            message = None  # the caller stopped reading (a closed browser tab): logged like a press on Stop
        else:
            # Only the type is kept: the exception's text may quote the model's output.
            log.warning("backend failed unexpectedly: %s", type(error).__name__)
            message = UNEXPECTED_MODEL_FAILURE
        for entry, tokens in calls:
            self._log_unfinished(entry, tokens, session, started, error=message)

    @staticmethod
    def _reported(error: BaseException) -> BaseException:
        """What the caller gets: Danish errors and GeneratorExit as they are, anything else as a GenerationError."""
        if isinstance(error, (UserError, GeneratorExit)):
            return error
        return GenerationError(UNEXPECTED_MODEL_FAILURE)

    def _log_unfinished(
        self, entry: LogEntry, tokens: list[Token], session: Session, started: float, *, error: str | None
    ) -> None:
        """Log a call that ended without a :class:`Finished`; the partial answer is output-guarded too."""
        partial = "".join(t.text for t in tokens).strip()
        try:
            output = self.guard.check_output(partial, session.vault) if partial else None
        except Exception:  # noqa: BLE001 - GuardError or a guard bug: either way the unscanned text is not logged
            output = None
        self.log.append(
            replace(
                entry,
                response=output.text if output else None,
                output_findings=output.summary() if output else [],
                completion_tokens=len(tokens),
                finish_reason=None if error else "cancelled",
                error=error,
                latency_ms=_ms(started),
            )
        )

    def _entry(self, request: Request, session: Session) -> LogEntry:
        """The log entry as far as it is known before the guard has run."""
        info = self._backend.info
        return LogEntry(
            session=session.pseudonym,
            exercise_id=request.exercise_id,
            model_name=info.name,
            model_sha256=info.sha256,
            backend=self._backend.kind,
            params=request.params.as_dict(),
            messages=[],
            prompt="",
            entities=[],
            warnings=[],
            decision="guard_error",
            output_findings=[],
            response=None,
            prompt_tokens=None,
            completion_tokens=None,
            finish_reason=None,
            latency_ms=None,
            error=None,
            guard_config=self.guard.config_hash,
            allowed_types=sorted(t for t, a in self.guard.policy.actions.items() if a == "allow"),
            conversation_id=request.conversation.id if request.conversation else None,
            turn=request.conversation.turn if request.conversation else None,
        )

    def close(self) -> None:
        self._backend.close()


UNEXPECTED_MODEL_FAILURE = (
    "Modellen holdt op med at svare på en uventet måde, så der er intet svar. Prompten blev sendt (maskeret), "
    "og kaldet er registreret i loggen. Prøv igen; sker det igen, så kontakt IT."
)
UNEXPECTED_GUARD_FAILURE = (
    "Kontrollen af svaret for personoplysninger fejlede, så svaret vises ikke. Kaldet er registreret i loggen. "
    "Prøv igen; sker det igen, så kontakt IT."
)


def _asked(request: Request) -> tuple:
    """What makes two requests the same question: guarded once, logged alike."""
    return (request.prompt, request.system, request.exercise_id, request.conversation)


def _seed(params: GenerationParams) -> int:
    """The seed a call uses: the one asked for, or a fresh random one (recorded, so it can be reused)."""
    return params.seed if params.seed is not None else secrets.randbelow(2**31)


def _with_seed(entry: LogEntry, params: GenerationParams, seed: int) -> LogEntry:
    return replace(entry, params={**params.as_dict(), "seed": seed})


def _check_prompt(prompt: str) -> None:
    if not isinstance(prompt, str) or not any(_visible(c) for c in prompt):
        raise UserError("Prompten er tom. Skriv en opgave eller et spørgsmål, før du sender.")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise UserError(too_long(prompt))


def _visible(char: str) -> bool:
    """Not white space, a control or an invisible format character (a zero-width space, a direction mark)."""
    return unicodedata.category(char)[0] not in "ZC" and not char.isspace()


def too_long(prompt: str) -> str:
    """The Danish message for a prompt over :data:`MAX_PROMPT_CHARS` (the UI shows it before the queue too)."""
    return (
        f"Teksten er for lang: {thousands(len(prompt))} tegn. Legepladsen tager højst "
        f"{thousands(MAX_PROMPT_CHARS)} tegn ad gangen, og modellen kan kun læse en brøkdel af det. Send et uddrag."
    )


def conversation_full(used: int, answer: int, limit: int) -> str:
    """The Danish refusal of a turn that would not fit in the model's context."""
    return (
        f"Samtalen er blevet for lang til modellen: de tidligere beskeder og din nye prompt fylder "
        f"{thousands(used)} tokens, og svaret skal have plads til op til {thousands(answer)} mere, men modellen "
        f"kan højst rumme {thousands(limit)} tokens i alt. Modellen får hele samtalen eller intet, så intet er "
        "sendt. Tryk «Ny samtale» for at begynde forfra (eller sænk «Maks. antal tokens»)."
    )


def _decision(*results: GuardResult | None) -> str:
    decisions = {r.decision for r in results if r is not None}
    for decision in ("blocked", "redacted"):
        if decision in decisions:
            return decision
    return "sent"


def _merge_summaries(*results: GuardResult | None) -> list[dict]:
    return [row for r in results if r is not None for row in r.summary()]


def _warning_summary(*results: GuardResult | None) -> list[dict]:
    counts: dict[str, int] = {}
    for result in results:
        for warning in result.warnings if result else ():
            counts[warning.category] = counts.get(warning.category, 0) + 1
    return [{"category": c, "count": n} for c, n in sorted(counts.items())]


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
