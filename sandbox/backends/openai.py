"""A shared inference server as the model: any OpenAI-compatible chat completions API.

When a municipality offers the legeplads to hundreds of staff, one server
(llama.cpp's ``llama-server``, vLLM, Ollama or llama-cpp-python's server)
answers for all of them, while the guard and the compliance log stay in each
legeplads process. Only the pipeline calls this backend, with messages the
guard has already redacted: placeholders cross the network, the originals
never do. See ``docs/shared-server.md``.

What is sent with every request, and who honours it:

============== ============ ===== ================= ======
parameter      llama-server vLLM  llama-cpp-python  Ollama
============== ============ ===== ================= ======
temperature    yes          yes   yes               yes
top_p          yes          yes   yes               yes
max_tokens     yes          yes   yes               yes
seed           yes          yes   yes               yes
top_k          yes          yes   yes               ignored
repeat_penalty yes          yes*  yes               ignored
top_logprobs   yes          yes   yes               version-dependent
============== ============ ===== ================= ======

(*) vLLM calls it ``repetition_penalty``; both names are sent, each server
ignores the one it does not know. A seed gives the same answer again only on
the same server build and hardware; vLLM can still differ when requests are
batched together. Unsupported settings are not an error: the answer comes
back with the server's own defaults for them.
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx

from sandbox.backends.base import (
    Alternative,
    Finished,
    GenerationParams,
    Message,
    ModelInfo,
    Token,
    one_after_another,
)
from sandbox.errors import GenerationError, ModelError, UserError

BACKEND_ENV = "LEGEPLADS_BACKEND"
BASE_URL_ENV = "LEGEPLADS_BASE_URL"
API_KEY_ENV = "LEGEPLADS_API_KEY"
REMOTE_MODEL_ENV = "LEGEPLADS_REMOTE_MODEL"
# Used when the server does not say how much context it has.
ASSUMED_CONTEXT = 4096
# Danish text with a multilingual tokenizer: roughly 3.5 characters per token.
CHARS_PER_TOKEN = 3.5

Counter = Callable[[Sequence[Message]], int]

log = logging.getLogger(__name__)
# What parsing a reply of the wrong shape raises (RecursionError: JSON nested too deep).
MALFORMED = (ValueError, KeyError, TypeError, RecursionError)

# Everything the server sends is model output or about it, and model output can
# hold personal data (an invented CPR number, a name from the prompt's context).
# Error messages therefore describe what went wrong and never quote the server:
# they reach the compliance log's error column and the user's screen unguarded.
UNREADABLE = (
    "Modelserveren sendte et svar, som legepladsen ikke kan læse. Svaret er ikke vist. Prøv igen; "
    "sker det igen, så kontakt IT (serveren er måske en anden version end forventet)."
)


class OpenAIBackend:
    """One model on an OpenAI-compatible server, checked to exist when opened.

    ``httpx.Client`` is thread-safe and the server does its own scheduling,
    so concurrent streams are not serialised here (unlike the in-process
    backend): that is the point of a shared server.
    """

    kind = "openai"

    def __init__(
        self,
        base_url: str,
        model: str | None = None,
        *,
        api_key: str | None = None,
        timeout: float = 120.0,
    ) -> None:
        # Only the address without user and password is kept: it is shown to every
        # participant and stored in every log entry (the model's name).
        self.base_url = normalise_base_url(base_url)
        self._root = self.base_url.removesuffix("/v1")
        headers = {"User-Agent": "legeplads"}
        auth = None
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        else:
            auth = _basic_auth(base_url)
        self._timeout = timeout
        self._client = httpx.Client(
            headers=headers, auth=auth, timeout=httpx.Timeout(timeout, connect=5.0, write=30.0, pool=10.0)
        )
        try:
            listed = self._models()
            self.model = self._choose(model, listed)
        except BaseException:
            self._client.close()
            raise
        context = _context_length(listed[self.model]) or self._llama_server_context()
        counting, self._count = self._find_counter()
        self.info = ModelInfo(
            # The server is part of the name: the log then records where each prompt went.
            name=f"{self.model} ({urlsplit(self.base_url).netloc})",
            path=None,
            sha256=None,
            demo=False,
            context_length=context or ASSUMED_CONTEXT,
            details={
                "backend": "OpenAI-kompatibel server",
                "server": self.base_url,
                "kontekst": "oplyst af serveren" if context else f"ukendt; antaget {ASSUMED_CONTEXT} tokens",
                "tokentælling": counting,
            },
        )

    # -- opening -----------------------------------------------------------------

    def _models(self) -> dict[str, dict]:
        """The server's models by id; the first request, so its errors explain the setup."""
        url = f"{self.base_url}/models"
        try:
            response = self._client.get(url)
        except httpx.TransportError as error:
            raise ModelError(
                f"Kan ikke forbinde til modelserveren på {self.base_url} ({type(error).__name__}). "
                "Er serveren startet, og er adressen (--base-url) rigtig?"
            ) from None
        if response.status_code in (401, 403):
            raise ModelError(
                f"Modelserveren afviser adgang ({response.status_code}). Angiv serverens API-nøgle med "
                f"--api-key eller miljøvariablen {API_KEY_ENV}."
            )
        try:
            response.raise_for_status()
            data = response.json()["data"]
            return {str(item["id"]): item for item in data}
        except (httpx.HTTPStatusError, *MALFORMED):
            raise ModelError(
                f"{url} svarer ikke som en OpenAI-kompatibel server (HTTP {response.status_code}). "
                "Adressen skal normalt ende på /v1, fx http://modelserver:8080/v1."
            ) from None

    def _choose(self, model: str | None, listed: dict[str, dict]) -> str:
        if not listed:
            raise ModelError(f"Modelserveren på {self.base_url} har ingen modeller indlæst.")
        if model is None:
            if len(listed) == 1:
                return next(iter(listed))
            raise ModelError(
                "Modelserveren har flere modeller; vælg en med --remote-model: " + ", ".join(sorted(listed))
            )
        if model not in listed:
            raise ModelError(f"Modelserveren har ikke modellen '{model}'. Den har: {', '.join(sorted(listed))}.")
        return model

    def _llama_server_context(self) -> int | None:
        """llama-server reports its context size on /props; other servers have no such page."""
        try:
            response = self._client.get(f"{self._root}/props")
            return int(response.json()["default_generation_settings"]["n_ctx"])
        except (httpx.HTTPError, *MALFORMED):
            return None

    # -- token counting ------------------------------------------------------------

    def count_tokens(self, messages: Sequence[Message]) -> int:
        """Exact where the server can count with its chat template; else see ``info.details``."""
        try:
            return int(self._count(messages))
        except (httpx.HTTPError, *MALFORMED):
            return _estimate(messages)

    def _find_counter(self) -> tuple[str, Counter]:
        """The best way this server offers to count a prompt's tokens, found by trying each once."""
        probe = (Message("user", "Hej"),)
        candidates: list[tuple[str, Counter]] = [
            ("eksakt (llama-server /apply-template + /tokenize)", self._count_llama_server),
            ("eksakt (vLLM /tokenize)", self._count_vllm),
            ("serverens tokenizer uden chatskabelon (lidt for lavt)", self._count_llama_cpp_python),
        ]
        for label, counter in candidates:
            try:
                counter(probe)
            except (httpx.HTTPError, *MALFORMED):
                continue
            return label, counter
        return f"skøn (tegn / {CHARS_PER_TOKEN:g}); serveren kan ikke tælle tokens", _estimate

    def _post_json(self, path: str, body: dict) -> dict:
        response = self._client.post(f"{self._root}{path}", json=body)
        response.raise_for_status()
        return response.json()

    def _count_llama_server(self, messages: Sequence[Message]) -> int:
        prompt = self._post_json("/apply-template", {"messages": _wire(messages)})["prompt"]
        return len(self._post_json("/tokenize", {"content": prompt, "parse_special": True})["tokens"])

    def _count_vllm(self, messages: Sequence[Message]) -> int:
        body = {"model": self.model, "messages": _wire(messages), "add_generation_prompt": True}
        return int(self._post_json("/tokenize", body)["count"])

    def _count_llama_cpp_python(self, messages: Sequence[Message]) -> int:
        text = "\n".join(m.content for m in messages)
        return int(self._post_json("/extras/tokenize/count", {"model": self.model, "input": text})["count"])

    # -- generation ------------------------------------------------------------------

    def stream(
        self,
        messages: Sequence[Message],
        params: GenerationParams,
        seed: int,
        cancel: threading.Event,
    ) -> Iterator[Token | Finished]:
        """Stream the server's answer; closing the stream (cancel) makes the server stop too."""
        produced = 0
        usage: dict | None = None
        reason: str | None = None
        try:
            url = f"{self.base_url}/chat/completions"
            with self._client.stream("POST", url, json=self._body(messages, params, seed)) as response:
                if response.status_code != 200:
                    response.read()
                    raise self._refused(response)
                for event in _events(response.iter_lines()):
                    if cancel.is_set():
                        reason = "cancelled"
                        break
                    if "error" in event or event.get("object") == "error":  # newer and older vLLM
                        log.warning("model server reported an error mid-stream")
                        raise GenerationError(
                            "Modelserveren fejlede midt i svaret. Prøv igen; sker det igen, så kontakt IT."
                        )
                    usage = _usage(event.get("usage")) or usage
                    for choice in _choices(event):
                        for token in _tokens(choice):
                            produced += 1
                            yield token
                        if choice.get("finish_reason"):
                            reason = "length" if choice["finish_reason"] == "length" else "stop"
        except httpx.TimeoutException:
            raise GenerationError(
                f"Modelserveren svarede ikke inden for {self._timeout:g} sekunder. Den er måske "
                "overbelastet; prøv igen om lidt, eller bed om et kortere svar."
            ) from None
        except httpx.ConnectError:
            raise GenerationError(
                f"Modelserveren på {self.base_url} svarer ikke. Den er måske stoppet; prøv igen om lidt, "
                "eller kontakt IT."
            ) from None
        except httpx.TransportError as error:
            raise GenerationError(
                f"Forbindelsen til modelserveren på {self.base_url} blev afbrudt ({type(error).__name__}). "
                "Prøv igen; sker det igen, så kontakt IT."
            ) from None
        if reason is None:
            # llama-cpp-python's server, for one, ends the stream silently when the prompt is too long.
            raise GenerationError(
                "Modelserveren stoppede uden at svare færdigt. Er teksten lang, så er den måske for lang til "
                "modellen på serveren: forkort den. Ellers prøv igen, og kontakt IT, hvis det gentager sig."
            )
        if usage and reason != "cancelled":
            yield Finished(reason, *usage)  # type: ignore[arg-type]
        else:
            yield Finished(reason, self.count_tokens(messages), produced)  # type: ignore[arg-type]

    def _body(self, messages: Sequence[Message], params: GenerationParams, seed: int) -> dict:
        body: dict = {
            "model": self.model,
            "messages": _wire(messages),
            "stream": True,
            "stream_options": {"include_usage": True},
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
            "top_p": params.top_p,
            "top_k": params.top_k,
            "repeat_penalty": params.repeat_penalty,
            "repetition_penalty": params.repeat_penalty,
            "seed": seed,
        }
        if params.top_logprobs:
            body["logprobs"] = True
            body["top_logprobs"] = params.top_logprobs
        return body

    def _refused(self, response: httpx.Response) -> UserError:
        """A Danish explanation of a non-200 answer to a chat request (the server's own words are not quoted)."""
        status = response.status_code
        detail = _message(_json_or_text(response))
        if status in (401, 403):
            return GenerationError(f"Modelserveren afviser adgang ({status}). Tjek API-nøglen ({API_KEY_ENV}).")
        if status == 404:
            return GenerationError(f"Modelserveren kender ikke modellen '{self.model}' (404).")
        if "context" in detail.lower() or status == 413:
            return UserError(
                "Prompten er for lang til modellen på serveren (prompt og svar skal tilsammen være inden for "
                "modellens grænse). Forkort teksten, eller bed om et kortere svar."
            )
        if status in (429, 503):
            return GenerationError("Modelserveren har travlt med andre brugere lige nu. Prøv igen om lidt.")
        return GenerationError(
            f"Modelserveren afviste forespørgslen (HTTP {status}). Prøv igen; sker det igen, så kontakt IT."
        )

    def stream_group(
        self,
        calls: Sequence[tuple[Sequence[Message], GenerationParams, int]],
        cancel: threading.Event,
        *,
        steady: bool = False,
    ) -> Iterator[tuple[int, Token | Finished]]:
        """One request per call, one after the other: the server batches across its own clients.

        Each answer is computed on its own, so ``steady`` holds anyway.
        """
        return one_after_another(self, calls, cancel)

    def close(self) -> None:
        self._client.close()


def from_settings(
    backend: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    remote_model: str | None = None,
) -> OpenAIBackend | None:
    """The shared-server backend if arguments or environment ask for it, else None (run locally).

    The environment (``LEGEPLADS_BACKEND=openai``, ``LEGEPLADS_BASE_URL``,
    ``LEGEPLADS_API_KEY``, ``LEGEPLADS_REMOTE_MODEL``) lets IT configure a
    service once; arguments win over it.
    """
    choice = (backend or os.environ.get(BACKEND_ENV) or "llama").strip().lower()
    if choice not in ("llama", "openai"):
        raise UserError(f"Ukendt backend '{choice}'. Vælg llama (lokal model) eller openai (delt server).")
    if choice == "llama":
        if base_url or remote_model:
            raise UserError("--base-url og --remote-model hører til --backend openai.")
        return None
    base_url = base_url or os.environ.get(BASE_URL_ENV)
    if not base_url:
        raise UserError("--backend openai kræver serverens adresse: --base-url http://modelserver:8080/v1")
    return OpenAIBackend(
        base_url,
        remote_model or os.environ.get(REMOTE_MODEL_ENV) or None,
        api_key=api_key or os.environ.get(API_KEY_ENV) or None,
    )


def normalise_base_url(base_url: str) -> str:
    """``http://host:8080`` and ``http://host:8080/v1/`` both mean ``http://host:8080/v1``.

    A user and password in the address (``http://user:pw@host/v1``) are left
    out: the result is shown and logged. :func:`_basic_auth` sends them.
    """
    try:
        parts = urlsplit(base_url.strip())
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        parts = None
    host = parts.netloc.rpartition("@")[2] if parts else ""
    if parts is None or parts.scheme not in ("http", "https") or not host:
        # The address is not repeated: it may hold a password.
        raise UserError(
            "Modelserverens adresse (--base-url) skal starte med http:// eller https:// og have et værtsnavn."
        )
    path = parts.path.rstrip("/") or "/v1"
    return urlunsplit((parts.scheme, host, path, "", ""))


def _basic_auth(base_url: str) -> httpx.BasicAuth | None:
    """HTTP Basic credentials written into the address, if any (a proxy in front of the server)."""
    parts = urlsplit(base_url.strip())
    if parts.username is None:
        return None
    return httpx.BasicAuth(unquote(parts.username), unquote(parts.password or ""))


def _wire(messages: Sequence[Message]) -> list[dict[str, str]]:
    return [{"role": m.role, "content": m.content} for m in messages]


def _events(lines: Iterable[str]) -> Iterator[dict]:
    """The JSON objects of a server-sent event stream, up to ``[DONE]``."""
    for line in lines:
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            return
        try:
            event = json.loads(data)
        except (ValueError, RecursionError):  # RecursionError: brackets nested beyond Python's stack
            event = None
        if not isinstance(event, dict):
            log.warning("model server sent an unreadable event (%d characters)", len(data))
            raise GenerationError(UNREADABLE)
        yield event


def _choices(event: dict) -> list[dict]:
    """The event's choices; anything but a list of objects is not an answer we can read."""
    choices = event.get("choices") or []
    if not isinstance(choices, list) or not all(isinstance(c, dict) for c in choices):
        raise GenerationError(UNREADABLE)
    return choices


def _tokens(choice: dict) -> list[Token]:
    """The tokens in one streamed choice, with probabilities when the server sent them.

    Probabilities are a bonus: when they are missing or malformed (``"logprob": null``),
    the text is kept without them. Text that is not text is an unreadable answer.
    """
    delta = choice.get("delta") or {}
    text = delta.get("content") if isinstance(delta, dict) else None
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise GenerationError(UNREADABLE)
    logprobs = choice.get("logprobs")
    entries = logprobs.get("content") if isinstance(logprobs, dict) else None
    tokens = [t for t in map(_scored, entries) if t is not None] if isinstance(entries, list) else []
    if not tokens or len(tokens) != len(entries):  # type: ignore[arg-type]
        return [Token(text)] if text else []
    if "".join(t.text for t in tokens) == text:
        return tokens
    # Token pieces that are not whole characters: keep the text as sent.
    return [Token(text, tokens[0].prob, tokens[0].alternatives)] if text else []


def _scored(entry: object) -> Token | None:
    """One logprobs entry as a token, or None when it is not a token with a usable probability."""
    if not isinstance(entry, dict) or not isinstance(entry.get("token"), str):
        return None
    prob = _probability(entry.get("logprob"))
    if prob is None:
        return None
    alternatives = entry.get("top_logprobs")
    return Token(
        entry["token"],
        prob,
        tuple(
            Alternative(alt["token"], alt_prob)
            for alt in (alternatives if isinstance(alternatives, list) else ())
            if isinstance(alt, dict)
            and isinstance(alt.get("token"), str)
            and (alt_prob := _probability(alt.get("logprob"))) is not None
        ),
    )


def _probability(logprob: object) -> float | None:
    """exp(logprob) for a real, finite log probability; servers write -9999 for "never", so 0 is fine."""
    if isinstance(logprob, bool) or not isinstance(logprob, (int, float)) or not math.isfinite(logprob):
        return None
    return math.exp(min(float(logprob), 0.0))


def _usage(usage: object) -> tuple[int, int] | None:
    """(prompt tokens, completion tokens) when the server counted both, else None (we count ourselves)."""
    if not isinstance(usage, dict):
        return None
    counts = (usage.get("prompt_tokens"), usage.get("completion_tokens"))
    if all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in counts):
        return counts  # type: ignore[return-value]
    return None


def _context_length(model: dict) -> int | None:
    """vLLM lists ``max_model_len`` with the model."""
    value = model.get("max_model_len")
    return int(value) if isinstance(value, int) else None


def _json_or_text(response: httpx.Response) -> object:
    try:
        return response.json()
    except (ValueError, RecursionError):
        return response.text


def _message(error: object) -> str:
    """The human part of an error body, whatever shape the server uses: read, never shown."""
    if isinstance(error, dict):
        inner = error.get("error", error)
        if isinstance(inner, dict):
            return str(inner.get("message") or inner)[:300]
        return str(inner)[:300]
    return str(error)[:300]


def _estimate(messages: Sequence[Message]) -> int:
    return sum(math.ceil(len(m.content) / CHARS_PER_TOKEN) + 4 for m in messages)
