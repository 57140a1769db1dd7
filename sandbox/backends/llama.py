"""In-process llama.cpp backend (llama-cpp-python), decoding through :class:`~sandbox.backends.engine.Engine`.

Why our own generation loop instead of ``create_chat_completion``: we need
per-token probabilities without ``logits_all=True`` (which stores logits for
every prompt token, slows prompt evaluation and has had off-by-one reports),
several answers decoded in one pass, and evaluated prompts reused.

Why not llama.cpp's own ``llama-server --parallel N``, which the issue asked
us to prefer where it serves: measured against it (built from the same
vendored source and flags, 8 slots, reached through ``OpenAIBackend``;
``benchmarks/shared_server.py --llama-server``), the engine wrote as many
tokens per second for 1, 2, 4 and 8 users (engine/server 0.87–1.09). So it
would gain no speed, and it would cost: the wheel does not ship it, so every
laptop would need a second native build (about 20 minutes here) and a
process to start, watch and stop; and its slots put every request into the
same decode, while a row's numbers depend on how many rows are decoded
together (measured, see the engine), so an exercise's fixed seeds could not
give the same answers when others are busy. The engine keeps such answers
apart.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from sandbox.backends.base import (
    Alternative,
    Finished,
    GenerationParams,
    Message,
    ModelInfo,
    Token,
)
from sandbox.backends.engine import CLOSED, DEFAULT_CACHE, Done, Step
from sandbox.errors import GenerationError, ModelError, UserError

DEFAULT_CONTEXT = 4096
# Sequences decoded together. Each slot holds a KV cache of DEFAULT_CONTEXT
# tokens, so a large model gets fewer (a 4B model's 8 slots would take
# about 4 GB); $LEGEPLADS_SLOTS overrides.
SMALL_MODEL_BYTES = 1_000_000_000
SLOTS_SMALL_MODEL = 8
SLOTS_LARGE_MODEL = 4
# Used when a GGUF file has no chat template (some base models): a conversation
# becomes a question-and-answer text the base model continues after the last
# "Svar:". Earlier turns are exchanges separated by a blank line; the stop
# strings end the answer before the model writes the next question itself.
PLAIN_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}"
    "{% if m.role == 'system' %}{{ m.content }}\n\n"
    "{% elif m.role == 'user' %}Spørgsmål: {{ m.content }}\n"
    "{% else %}Svar: {{ m.content }}\n\n{% endif %}"
    "{% endfor %}Svar:"
)
PLAIN_STOPS = ("Spørgsmål:", "\nSvar:")


class LlamaBackend:
    """One GGUF model loaded in this process, answering up to :attr:`slots` callers at once.

    Calls may come from many threads: each becomes a sequence in the
    engine, which decodes them together. A fixed seed (``params.seed`` set)
    is decoded alone, so it gives the same answer whatever else runs; a
    random one shares its steps with the others.
    """

    kind = "llama.cpp"

    def __init__(
        self,
        path: Path,
        *,
        name: str | None = None,
        demo: bool = False,
        sha256: str | None = None,
        n_ctx: int = DEFAULT_CONTEXT,
        n_threads: int | None = None,
        slots: int | None = None,
        prompt_cache: int = DEFAULT_CACHE,
    ) -> None:
        import llama_cpp
        from llama_cpp import _internals, llama_chat_format
        from llama_cpp._logger import set_verbose

        from sandbox.backends.engine import Engine

        set_verbose(False)  # what Llama(verbose=False) does: llama.cpp's own log only for errors
        self.slots = slots or _default_slots(path)
        try:
            with _quiet_stderr():
                self._model = _internals.LlamaModel(
                    path_model=str(path), params=llama_cpp.llama_model_default_params(), verbose=False
                )
        except (ValueError, RuntimeError, OSError) as error:
            raise ModelError(
                f"Modelfilen {path.name} kunne ikke indlæses. Den er måske ufuldstændig "
                "(afbrudt download) eller i et format, denne version af llama.cpp ikke kender. "
                "Hent den igen med 'python scripts/download_model.py'."
            ) from error
        try:
            with _quiet_stderr():
                self._engine = Engine(
                    self._model,
                    slots=self.slots,
                    context_per_slot=n_ctx,
                    n_threads=n_threads or max(1, os.cpu_count() or 1),
                    cache=prompt_cache,
                )
        except (ValueError, RuntimeError, OSError) as error:
            self._model.close()
            raise ModelError(
                f"Der var ikke hukommelse nok til {self.slots} svar ad gangen med {path.name}. "
                "Start med færre pladser, fx 'legeplads serve --pladser 2'."
            ) from error
        # Callers turn token ids into text with the model after the engine is done with them,
        # so close() waits for every open stream before it frees the model.
        self._open_streams = 0
        self._streams_done = threading.Condition()
        self._lib = llama_cpp
        self._vocab = self._model.vocab
        self._closed = False
        metadata = self._model.metadata()
        template = metadata.get("tokenizer.chat_template")
        self._formatter = llama_chat_format.Jinja2ChatFormatter(
            template=template or PLAIN_TEMPLATE,
            eos_token=self._token_text(self._model.token_eos()),
            bos_token=self._token_text(self._model.token_bos()),
        )
        self._stops = () if template else PLAIN_STOPS
        self.info = ModelInfo(
            name=name or metadata.get("general.name") or path.stem,
            path=str(path),
            sha256=sha256,
            demo=demo,
            context_length=n_ctx,
            details={
                "architecture": metadata.get("general.architecture", "?"),
                "chat_template": "fra modelfilen" if template else "simpel (modellen har ingen)",
                "slots": str(self.slots),
            },
        )

    @property
    def busy(self) -> int:
        """Answers the engine is writing or has waiting (see :attr:`Engine.busy`)."""
        return self._engine.busy

    def _token_text(self, token: int) -> str:
        if token < 0:
            return ""
        return self._lib.llama_vocab_get_text(self._vocab, token).decode("utf-8", "replace")

    @contextlib.contextmanager
    def _open(self) -> Iterator[None]:
        """Hold the model open while a call uses it (tokenising, turning tokens into text)."""
        with self._streams_done:
            if self._closed:
                raise GenerationError(CLOSED)
            self._open_streams += 1
        try:
            yield
        finally:
            with self._streams_done:
                self._open_streams -= 1
                self._streams_done.notify_all()

    def _prompt_tokens(self, messages: Sequence[Message]) -> list[int]:
        rendered = self._formatter(messages=[{"role": m.role, "content": m.content} for m in messages])
        # The template writes the BOS token itself; parse special tokens so it
        # is one token, and do not add a second one.
        return self._model.tokenize(rendered.prompt.encode("utf-8"), add_bos=False, special=True)

    def count_tokens(self, messages: Sequence[Message]) -> int:
        with self._open():
            return len(self._prompt_tokens(messages))

    def _room(self, prompt: list[int], params: GenerationParams) -> int:
        room = self.info.context_length - len(prompt)
        if room < 8:
            raise UserError(
                f"Prompten er for lang til modellen: {len(prompt)} tokens, men modellen kan højst "
                f"rumme {self.info.context_length} tokens i alt (inkl. svaret). Forkort teksten."
            )
        return min(params.max_tokens, room)

    def _resolved(self, params: GenerationParams, seed: int, prompt: list[int]) -> GenerationParams:
        """``params`` as the engine runs them: the seed drawn, the answer's length cut to the room left."""
        # Greedy draws no lots: any seed gives the same answer, so all greedy calls are alike.
        return replace(params, seed=seed if params.temperature > 0 else 0, max_tokens=self._room(prompt, params))

    def stream(
        self,
        messages: Sequence[Message],
        params: GenerationParams,
        seed: int,
        cancel: threading.Event,
    ) -> Iterator[Token | Finished]:
        with self._open():
            prompt = self._prompt_tokens(messages)
            text = _Text(self._model, self._stops, len(prompt))
            # A fixed seed, and greedy decoding (the same answer whatever the seed), are decoded alone.
            alone = params.seed is not None or params.temperature == 0
            steps = self._engine.generate(prompt, self._resolved(params, seed, prompt), cancel, alone=alone)
            try:
                for step in steps:
                    # The engine runs ahead of the reader: what it drew after Stop is not shown or counted.
                    yield from text.feed(Done("cancelled", 0) if cancel.is_set() else step)
                    if text.finished:
                        return
            finally:
                steps.close()  # a stop string or a caller who stops reading frees the slot at once
            if not text.finished:
                raise GenerationError(CLOSED)

    def stream_group(
        self,
        calls: Sequence[tuple[Sequence[Message], GenerationParams, int]],
        cancel: threading.Event,
        *,
        steady: bool = False,
    ) -> Iterator[tuple[int, Token | Finished]]:
        """Several calls decoded together: as groups of ``slots`` where a seed is chosen, else with the room.

        Calls with the same messages, settings and seed are decoded once and
        the answer given to each: side by side, llama.cpp's numbers also
        depend on a row's place in the batch (measured: five rows with one
        seed gave two answers), and the same question asked the same way
        must get the same answer. A call that reaches a stop string is cut
        there and its sequence released (a steady group keeps its row).

        Calls that all have drawn seeds (and are not greedy) are decoded with
        the room's other answers instead: nobody can ask for them again, so
        they need no unit of their own, and a room on the same card shares
        the slots (see the engine).
        """
        with self._open():
            distinct: dict[tuple[tuple[int, ...], GenerationParams], list[int]] = {}
            for index, (messages, params, seed) in enumerate(calls):
                prompt = self._prompt_tokens(messages)
                member = (tuple(prompt), self._resolved(params, seed, prompt))
                distinct.setdefault(member, []).append(index)
            members = list(distinct)
            if not members:
                return
            shared = not steady and all(params.seed is None and params.temperature > 0 for _, params, _ in calls)
            size = len(members) if shared else self.slots
            for start in range(0, len(members), size):
                chunk = members[start : start + size]
                texts = [_Text(self._model, self._stops, len(prompt)) for prompt, _ in chunk]
                released = [threading.Event() for _ in chunk]
                steps = self._engine.generate_group(chunk, cancel, steady=steady, released=released, shared=shared)
                for row, step in steps:
                    for piece in texts[row].feed(Done("cancelled", 0) if cancel.is_set() else step):
                        for index in distinct[chunk[row]]:
                            yield index, piece
                    if texts[row].finished:
                        # At a stop string the answer is over: its sequence must not run on to
                        # max_tokens, costing a row in every step (measured: Høringssvar 0.65x).
                        released[row].set()

    def close(self) -> None:
        """Let the answers being written finish, refuse new calls, then free the model."""
        with self._streams_done:
            if self._closed:
                return
            self._closed = True
        self._engine.close()
        with self._streams_done:
            # A reader that never finishes (an abandoned stream) must not hang shutdown:
            # after a minute the model is left to the process's end instead.
            if not self._streams_done.wait_for(lambda: self._open_streams == 0, timeout=60):
                return
        self._model.close()


class _Text:
    """One sequence's token ids turned into text pieces, holding back what may start a stop string."""

    def __init__(self, model: object, stops: Sequence[str], prompt_tokens: int) -> None:
        self._model = model
        self._stops = stops
        self._prompt_tokens = prompt_tokens
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._held: list[Token] = []
        self._produced = 0
        self._rows = 1
        self.finished = False

    def feed(self, step: Step | Done) -> list[Token | Finished]:
        if self.finished:
            return []
        if isinstance(step, Done):
            return self._finish("stop" if step.reason == "released" else step.reason)
        self._produced += 1
        self._rows = max(self._rows, step.rows)
        detokenize = self._model.detokenize  # type: ignore[attr-defined]
        piece = self._decoder.decode(detokenize([step.token]))
        alternatives = tuple(
            Alternative(detokenize([token]).decode("utf-8", "replace"), prob) for token, prob in step.alternatives
        )
        self._held.append(Token(piece, step.prob, alternatives))
        joined = "".join(t.text for t in self._held)
        if any(stop in joined for stop in self._stops):
            cut = min(joined.index(stop) for stop in self._stops if stop in joined)
            self._held = _tokens_within(self._held, cut)
            return self._finish("stop")
        safe = _tokens_within(self._held, _safe_length(joined, self._stops))
        self._held = self._held[len(safe) :]
        return list(safe)

    def _finish(self, reason: str) -> list[Token | Finished]:
        self.finished = True
        return [*self._held, Finished(reason, self._prompt_tokens, self._produced, self._rows)]  # type: ignore[arg-type]


def _default_slots(path: Path) -> int:
    override = os.environ.get("LEGEPLADS_SLOTS", "").strip()
    if override:
        if not override.isdigit() or not 1 <= int(override) <= 16:
            raise UserError(f"LEGEPLADS_SLOTS skal være et helt tal fra 1 til 16 (fik {override!r}).")
        return int(override)
    return SLOTS_SMALL_MODEL if path.stat().st_size < SMALL_MODEL_BYTES else SLOTS_LARGE_MODEL


def _safe_length(text: str, stops: Sequence[str]) -> int:
    """How much of ``text`` cannot be the beginning of a stop string."""
    for start in range(len(text)):
        if any(stop.startswith(text[start:]) for stop in stops):
            return start
    return len(text)


def _tokens_within(tokens: list[Token], length: int) -> list[Token]:
    """The leading tokens whose text fits entirely in the first ``length`` characters."""
    kept: list[Token] = []
    used = 0
    for token in tokens:
        used += len(token.text)
        if used > length:
            break
        kept.append(token)
    return kept


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Silence llama.cpp's C-level load chatter (it writes to fd 2 directly)."""
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
