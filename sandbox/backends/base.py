"""What every backend offers the pipeline, and the values passed across.

The pipeline is the only caller. A backend knows nothing of guards or logs:
it receives already-redacted messages and streams tokens back.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Literal, Protocol

from sandbox.errors import UserError

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True)
class GenerationParams:
    """Sampling settings for one answer.

    ``seed=None`` means "random": the pipeline draws a fresh seed for every
    call and records it, so any answer can be reproduced later by passing
    that seed back. ``top_logprobs`` > 0 asks for per-token probabilities
    with that many alternatives.
    """

    temperature: float = 0.7
    top_p: float = 0.95
    top_k: int = 40
    repeat_penalty: float = 1.1
    max_tokens: int = 256
    seed: int | None = None
    top_logprobs: int = 0

    LIMITS = {
        "temperature": (0.0, 2.0),
        "top_p": (0.0, 1.0),
        "top_k": (0, 1000),
        "repeat_penalty": (0.5, 2.0),
        "max_tokens": (1, 4096),
        "seed": (0, 2**32 - 1),
        "top_logprobs": (0, 20),
    }
    NAMES = {
        "temperature": "Temperatur",
        "top_p": "Top-p",
        "top_k": "Top-k",
        "repeat_penalty": "Gentagelsesstraf",
        "max_tokens": "Maks. antal tokens",
        "seed": "Seed",
        "top_logprobs": "Antal alternativer",
    }

    def __post_init__(self) -> None:
        for name, (low, high) in self.LIMITS.items():
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
                raise UserError(f"{self.NAMES[name]} skal være mellem {low:g} og {high:g} (fik {value!r}).")
            if name in ("top_k", "max_tokens", "seed", "top_logprobs") and value != int(value):
                raise UserError(f"{self.NAMES[name]} skal være et helt tal (fik {value!r}).")

    def as_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


@dataclass(frozen=True)
class Alternative:
    text: str
    prob: float


@dataclass(frozen=True)
class Token:
    """One piece of streamed answer, with its probability when asked for."""

    text: str
    prob: float | None = None
    alternatives: tuple[Alternative, ...] = ()


@dataclass(frozen=True)
class Finished:
    """The last item of every stream: why it stopped and what it cost."""

    reason: Literal["stop", "length", "cancelled"]
    prompt_tokens: int
    completion_tokens: int
    # The most answers decoded in one pass with this one (1 = alone). The
    # numbers a model computes depend on it, so the same seed gives the same
    # answer only decoded the same way (see sandbox/backends/engine.py).
    rows: int = 1


@dataclass(frozen=True)
class ModelInfo:
    """What the log and the UI say about the model that answers."""

    name: str
    path: str | None
    sha256: str | None
    demo: bool
    context_length: int
    details: dict[str, str] = field(default_factory=dict)


class Backend(Protocol):
    """A model that can stream a chat answer. Only the pipeline calls this."""

    kind: str
    info: ModelInfo

    def count_tokens(self, messages: Sequence[Message]) -> int:
        """Tokens the prompt will take, including the chat template."""
        ...

    def stream(
        self,
        messages: Sequence[Message],
        params: GenerationParams,
        seed: int,
        cancel: threading.Event,
    ) -> Iterator[Token | Finished]:
        """Yield tokens, then exactly one :class:`Finished`.

        Stops early (reason ``cancelled``) once ``cancel`` is set. Raises
        :class:`sandbox.errors.GenerationError` if the model fails.
        """
        ...

    def stream_group(
        self,
        calls: Sequence[tuple[Sequence[Message], GenerationParams, int]],
        cancel: threading.Event,
        *,
        steady: bool = False,
    ) -> Iterator[tuple[int, Token | Finished]]:
        """Several calls ``(messages, params, seed)`` answered as one group.

        Yields ``(index, item)``; every index ends with its own
        :class:`Finished`. A backend that can decode them together does;
        ``steady`` asks it to keep the batch's shape until the last answer
        ends, so no answer depends on when the others end.
        """
        ...

    def close(self) -> None: ...


def one_after_another(
    backend: Backend,
    calls: Sequence[tuple[Sequence[Message], GenerationParams, int]],
    cancel: threading.Event,
) -> Iterator[tuple[int, Token | Finished]]:
    """:meth:`Backend.stream_group` for a backend that answers one call at a time."""
    for index, (messages, params, seed) in enumerate(calls):
        for item in backend.stream(messages, params, seed, cancel):
            yield index, item
