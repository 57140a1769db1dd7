"""In-process llama.cpp backend (llama-cpp-python).

Why our own generation loop instead of ``create_chat_completion``: we need
per-token probabilities without ``logits_all=True`` (which stores logits for
every prompt token, slows prompt evaluation and has had off-by-one reports).
Reading the logits of the last decoded position right when a token is yielded
gives exactly the distribution that token was drawn from.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from sandbox.backends.base import (
    Alternative,
    Finished,
    GenerationParams,
    Message,
    ModelInfo,
    Token,
)
from sandbox.errors import GenerationError, ModelError, UserError

DEFAULT_CONTEXT = 4096
# Used when a GGUF file has no chat template (some base models).
PLAIN_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}"
    "{% if m.role == 'system' %}{{ m.content }}\n\n"
    "{% elif m.role == 'user' %}Spørgsmål: {{ m.content }}\n"
    "{% else %}Svar: {{ m.content }}\n{% endif %}"
    "{% endfor %}Svar:"
)
PLAIN_STOPS = ("Spørgsmål:", "\nSvar:")
CLOSED = "Modellen er lukket, fordi legepladsen er ved at stoppe. Start den igen for at fortsætte."


class LlamaBackend:
    """One GGUF model loaded in this process.

    A ``Llama`` object is not safe for concurrent calls, so one lock is held
    for the whole of each streamed generation; it is released when the stream
    finishes, is cancelled, fails, or is closed by the caller.
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
    ) -> None:
        from llama_cpp import Llama, llama_chat_format

        try:
            with _quiet_stderr():
                self._llama = Llama(
                    model_path=str(path),
                    n_ctx=n_ctx,
                    n_threads=n_threads or max(1, os.cpu_count() or 1),
                    verbose=False,
                )
        except (ValueError, RuntimeError, OSError) as error:
            raise ModelError(
                f"Modelfilen {path.name} kunne ikke indlæses. Den er måske ufuldstændig "
                "(afbrudt download) eller i et format, denne version af llama.cpp ikke kender. "
                "Hent den igen med 'python scripts/download_model.py'."
            ) from error
        import llama_cpp

        self._lib = llama_cpp
        self._vocab = llama_cpp.llama_model_get_vocab(self._llama.model)
        self._n_vocab = self._llama.n_vocab()
        self._lock = threading.Lock()
        self._closed = False  # set under the lock; a closed Llama segfaults when used
        metadata = self._llama.metadata
        template = metadata.get("tokenizer.chat_template")
        eos_id = self._llama.token_eos()
        bos_id = self._llama.token_bos()
        self._formatter = llama_chat_format.Jinja2ChatFormatter(
            template=template or PLAIN_TEMPLATE,
            eos_token=self._token_text(eos_id),
            bos_token=self._token_text(bos_id),
        )
        self._stops = () if template else PLAIN_STOPS
        self.info = ModelInfo(
            name=name or metadata.get("general.name") or path.stem,
            path=str(path),
            sha256=sha256,
            demo=demo,
            context_length=self._llama.n_ctx(),
            details={
                "architecture": metadata.get("general.architecture", "?"),
                "chat_template": "fra modelfilen" if template else "simpel (modellen har ingen)",
            },
        )

    def _token_text(self, token: int) -> str:
        if token < 0:
            return ""
        return self._lib.llama_vocab_get_text(self._vocab, token).decode("utf-8", "replace")

    def _prompt_tokens(self, messages: Sequence[Message]) -> list[int]:
        if self._closed:
            raise GenerationError(CLOSED)
        rendered = self._formatter(messages=[{"role": m.role, "content": m.content} for m in messages])
        # The template writes the BOS token itself; parse special tokens so it
        # is one token, and do not add a second one.
        return self._llama.tokenize(rendered.prompt.encode("utf-8"), add_bos=False, special=True)

    def count_tokens(self, messages: Sequence[Message]) -> int:
        return len(self._prompt_tokens(messages))

    def stream(
        self,
        messages: Sequence[Message],
        params: GenerationParams,
        seed: int,
        cancel: threading.Event,
    ) -> Iterator[Token | Finished]:
        prompt = self._prompt_tokens(messages)
        room = self.info.context_length - len(prompt)
        if room < 8:
            raise UserError(
                f"Prompten er for lang til modellen: {len(prompt)} tokens, men modellen kan højst "
                f"rumme {self.info.context_length} tokens i alt (inkl. svaret). Forkort teksten."
            )
        max_tokens = min(params.max_tokens, room)
        with self._lock:
            # Checked again under the lock: an exercise's next call can come after close().
            if self._closed:
                raise GenerationError(CLOSED)
            yield from self._generate(prompt, params, seed, max_tokens, cancel)

    def _generate(
        self,
        prompt: list[int],
        params: GenerationParams,
        seed: int,
        max_tokens: int,
        cancel: threading.Event,
    ) -> Iterator[Token | Finished]:
        llama = self._llama
        llama.set_seed(seed)
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        produced = 0
        reason: str = "length"
        # reset=True makes every call independent of the previous one (no
        # prefix reuse that could make a seeded answer depend on history).
        llama.reset()
        generator = llama.generate(
            prompt,
            top_k=params.top_k,
            top_p=params.top_p,
            temp=params.temperature,
            repeat_penalty=params.repeat_penalty,
            reset=True,
        )
        held: list[Token] = []  # tokens that might be the start of a stop string
        try:
            for token_id in generator:
                if cancel.is_set():
                    reason = "cancelled"
                    break
                if self._lib.llama_vocab_is_eog(self._vocab, token_id):
                    reason = "stop"
                    break
                piece = decoder.decode(llama.detokenize([token_id]))
                probs = self._probabilities(token_id, params.top_logprobs) if params.top_logprobs else None
                produced += 1
                held.append(Token(piece, *probs) if probs else Token(piece))
                joined = "".join(t.text for t in held)
                if any(stop in joined for stop in self._stops):
                    reason = "stop"
                    cut = min(joined.index(stop) for stop in self._stops if stop in joined)
                    yield from _tokens_within(held, cut)
                    held = []
                    break
                safe = _tokens_within(held, _safe_length(joined, self._stops))
                held = held[len(safe) :]
                yield from safe
                if produced >= max_tokens:
                    reason = "length"
                    break
            yield from held
        except UserError:
            raise
        except Exception as error:  # llama.cpp reports decode failures as RuntimeError
            raise GenerationError(f"Modellen fejlede midt i svaret: {error}") from error
        finally:
            generator.close()
        yield Finished(reason, len(prompt), produced)  # type: ignore[arg-type]

    def _probabilities(self, token_id: int, top: int) -> tuple[float, tuple[Alternative, ...]]:
        """Probability of ``token_id`` and the ``top`` most likely tokens at this step.

        The logits are those of the last decoded position, i.e. the ones the
        sampler just drew ``token_id`` from (before temperature and top-k/p).
        """
        pointer = self._lib.llama_get_logits_ith(self._llama.ctx, -1)
        logits = np.ctypeslib.as_array(pointer, shape=(self._n_vocab,)).astype(np.float64)
        logits -= logits.max()
        probs = np.exp(logits)
        probs /= probs.sum()
        best = np.argpartition(probs, -top)[-top:]
        best = best[np.argsort(probs[best])[::-1]]
        alternatives = tuple(
            Alternative(self._llama.detokenize([int(i)]).decode("utf-8", "replace"), float(probs[i])) for i in best
        )
        return float(probs[token_id]), alternatives

    def close(self) -> None:
        """Free the model once the running generation (if any) is done; later calls get a Danish error."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._llama.close()


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
