"""The shared-server backend against a real OpenAI-compatible server.

The server is llama-cpp-python's own (``python -m llama_cpp.server``) with the
bundled Gemma demo model, started on 127.0.0.1 for this module. Between the
backend and the server sits a small recording reverse proxy: it keeps every
request body that crosses "the network", which is how the privacy test proves
that only redacted text leaves the legeplads process.

The demo GGUF has no chat template, so the server is told to use Gemma's
(``--chat_format gemma``); without it llama-cpp-python falls back to a Llama-2
prompt on which this base model answers nothing.
"""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from sandbox.backends.base import Finished, GenerationParams, Message, Token
from sandbox.backends.openai import OpenAIBackend, from_settings, normalise_base_url
from sandbox.errors import GenerationError, ModelError, UserError

if TYPE_CHECKING:
    from sandbox.pipeline import Pipeline

ALIAS = "gemma-demo"
SETTINGS_ENV = ("LEGEPLADS_BACKEND", "LEGEPLADS_BASE_URL", "LEGEPLADS_API_KEY", "LEGEPLADS_REMOTE_MODEL")
PROMPT = (Message("user", "Skriv en kort hilsen til en borger, der har søgt om et parkeringskort."),)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(demo_model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "llama_cpp_server.log"
    command = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(demo_model_path), "--model_alias", ALIAS, "--chat_format", "gemma",
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "1024", "--n_threads", "1",
        # As docs/shared-server.md says to start it: by default a new request cuts off the answer
        # being written, which ends that stream without a finish reason.
        "--interrupt_requests", "False",
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{url}/v1/models", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@dataclass
class Proxy:
    """A recording reverse proxy on 127.0.0.1 in front of the model server."""

    upstream: str
    bodies: list[bytes] = field(default_factory=list)
    delay: float = 0.0
    """Seconds to wait before forwarding a chat request (a busy server)."""
    url: str = ""

    def chat_bodies(self) -> list[dict]:
        return [json.loads(b) for b in self.bodies if b.startswith(b"{") and b'"messages"' in b and b'"stream"' in b]


def start_proxy(proxy: Proxy) -> ThreadingHTTPServer:
    target = httpx.URL(proxy.upstream)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: object) -> None:
            pass

        def do_GET(self) -> None:
            self._forward()

        def do_POST(self) -> None:
            self._forward()

        def _forward(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            proxy.bodies.append(body)
            if proxy.delay and b'"stream"' in body:
                time.sleep(proxy.delay)
            upstream = http.client.HTTPConnection(target.host, target.port, timeout=60)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
            upstream.request(self.command, self.path, body=body or None, headers=headers)
            response = upstream.getresponse()
            self.send_response(response.status)
            for name, value in response.getheaders():
                if name.lower() not in ("transfer-encoding", "content-length", "connection"):
                    self.send_header(name, value)
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                while chunk := response.read1(4096):
                    self.wfile.write(chunk)
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client hung up (cancel); the upstream connection closes below
            finally:
                upstream.close()

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    proxy.url = f"http://127.0.0.1:{httpd.server_port}/v1"
    return httpd


@pytest.fixture
def proxy(server: str) -> Iterator[Proxy]:
    recorder = Proxy(server)
    httpd = start_proxy(recorder)
    yield recorder
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No server settings from the outside; whatever a test sets is undone after it."""
    for name in SETTINGS_ENV:
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)


@pytest.fixture
def backend(proxy: Proxy) -> Iterator[OpenAIBackend]:
    remote = OpenAIBackend(proxy.url, ALIAS)
    yield remote
    remote.close()


def run(
    backend: OpenAIBackend, params: GenerationParams, seed: int, messages=PROMPT
) -> tuple[str, list[Token], Finished]:
    items = list(backend.stream(messages, params, seed, threading.Event()))
    finished = items[-1]
    assert isinstance(finished, Finished)
    tokens = [i for i in items[:-1] if isinstance(i, Token)]
    assert len(tokens) == len(items) - 1
    return "".join(t.text for t in tokens), tokens, finished


def test_streams_real_tokens_with_probabilities(backend: OpenAIBackend) -> None:
    text, tokens, finished = run(backend, GenerationParams(max_tokens=8, temperature=0.8, top_logprobs=3), seed=1)
    assert text.strip()
    assert finished.completion_tokens == len(tokens) == 8 and finished.reason == "length"
    assert finished.prompt_tokens > 10
    for token in tokens:
        assert token.prob is not None and 0.0 < token.prob <= 1.0
        assert len(token.alternatives) == 3
        probs = [a.prob for a in token.alternatives]
        assert probs == sorted(probs, reverse=True) and sum(probs) <= 1.0 + 1e-6


def test_sampling_settings_reach_the_server(backend: OpenAIBackend, proxy: Proxy) -> None:
    params = GenerationParams(max_tokens=3, temperature=0.3, top_p=0.8, top_k=17, repeat_penalty=1.3)
    run(backend, params, seed=4242)
    [body] = proxy.chat_bodies()
    assert body["model"] == ALIAS and body["stream"] is True
    sent = (body["seed"], body["temperature"], body["top_p"], body["top_k"], body["max_tokens"])
    assert sent == (4242, 0.3, 0.8, 17, 3)
    assert body["repeat_penalty"] == body["repetition_penalty"] == 1.3
    assert "logprobs" not in body


def test_same_seed_repeats_and_other_seeds_differ(backend: OpenAIBackend) -> None:
    params = GenerationParams(max_tokens=12, temperature=1.2, top_k=200, top_p=1.0)
    first = run(backend, params, seed=1234)[0]
    assert run(backend, params, seed=1234)[0] == first
    others = {run(backend, params, seed=s)[0] for s in (1, 2, 3)}
    assert len(others | {first}) > 1, "four seeds at temperature 1.2 gave one answer"


def test_cancel_closes_the_stream_and_the_server_stays_usable(backend: OpenAIBackend) -> None:
    cancel = threading.Event()
    seen: list[Token] = []
    finished = None
    for item in backend.stream(PROMPT, GenerationParams(max_tokens=200, temperature=0.8), 5, cancel):
        if isinstance(item, Token):
            seen.append(item)
            if len(seen) == 3:
                cancel.set()
        else:
            finished = item
    assert finished is not None and finished.reason == "cancelled"
    assert finished.completion_tokens == 3
    assert run(backend, GenerationParams(max_tokens=4), seed=1)[0]


def test_token_count_comes_from_the_server_and_says_how(backend: OpenAIBackend, server: str) -> None:
    assert backend.info.details["tokentælling"].startswith("serverens tokenizer")
    counted = httpx.post(f"{server}/extras/tokenize/count", json={"input": PROMPT[0].content}).json()["count"]
    assert backend.count_tokens(PROMPT) == counted > 10


def test_wrong_model_name_lists_what_the_server_has(proxy: Proxy) -> None:
    with pytest.raises(ModelError, match=f"har ikke modellen 'gemma-4'. Den har: {ALIAS}"):
        OpenAIBackend(proxy.url, "gemma-4")


def test_the_only_model_is_chosen_when_none_is_named(proxy: Proxy) -> None:
    remote = OpenAIBackend(proxy.url.removesuffix("/v1"))
    try:
        assert remote.model == ALIAS and remote.info.details["server"] == proxy.url
    finally:
        remote.close()


def test_server_down_at_start_and_while_running(proxy: Proxy) -> None:
    with pytest.raises(ModelError, match="Kan ikke forbinde til modelserveren"):
        OpenAIBackend(f"http://127.0.0.1:{free_port()}/v1", ALIAS)
    # A proxy that goes away after the backend was opened: the server "stopped".
    recorder = Proxy(proxy.upstream)
    httpd = start_proxy(recorder)
    remote = OpenAIBackend(recorder.url, ALIAS)
    httpd.shutdown()
    httpd.server_close()
    try:
        with pytest.raises(GenerationError, match="svarer ikke"):
            run(remote, GenerationParams(max_tokens=4), seed=1)
    finally:
        remote.close()


def test_a_slow_server_times_out_with_a_danish_message(proxy: Proxy) -> None:
    remote = OpenAIBackend(proxy.url, ALIAS, timeout=1.0)
    proxy.delay = 3.0
    try:
        with pytest.raises(GenerationError, match="svarede ikke inden for 1 sekunder"):
            run(remote, GenerationParams(max_tokens=4), seed=1)
    finally:
        remote.close()


def test_prompt_too_long_for_the_server_is_explained(backend: OpenAIBackend, server: str) -> None:
    long_prompt = (Message("user", "Borgeren har søgt om hjælp. " * 300),)
    # Streaming, llama-cpp-python's server ends the stream without a word ...
    with pytest.raises(GenerationError, match="for lang til modellen på serveren"):
        run(backend, GenerationParams(max_tokens=4), seed=1, messages=long_prompt)
    # ... other servers refuse up front with an OpenAI-style error, like this real one.
    refusal = httpx.post(
        f"{server}/v1/chat/completions",
        json={"model": ALIAS, "messages": [{"role": "user", "content": long_prompt[0].content}], "max_tokens": 4},
    )
    assert refusal.status_code == 400
    error = backend._refused(refusal)
    assert type(error) is UserError and "Prompten er for lang" in error.message


def test_settings_are_checked_before_anything_is_sent(clean_env: None) -> None:
    assert from_settings() is None
    with pytest.raises(UserError, match="kræver serverens adresse"):
        from_settings("openai")
    with pytest.raises(UserError, match="hører til --backend openai"):
        from_settings(None, "http://x:8080")
    with pytest.raises(UserError, match="Ukendt backend"):
        from_settings("gpt")
    with pytest.raises(UserError, match="skal starte med http"):
        normalise_base_url("modelserver:8080")
    assert normalise_base_url("http://h:8080") == normalise_base_url("http://h:8080/v1/") == "http://h:8080/v1"


def test_pipeline_open_checks_the_server_and_the_model_name(proxy: Proxy, clean_env: None, tmp_path: Path) -> None:
    from sandbox.pipeline import Pipeline

    with pytest.raises(ModelError, match="har ikke modellen"):
        Pipeline.open(backend="openai", base_url=proxy.url, remote_model="nope", log_path=tmp_path / "log.sqlite3")
    pipeline = Pipeline.open(
        backend="openai", base_url=proxy.url.removesuffix("/v1"), log_path=tmp_path / "log.sqlite3"
    )
    try:
        assert pipeline.info.details["server"] == proxy.url
    finally:
        pipeline.close()
    with pytest.raises(UserError, match="--model er en lokal modelfil"):
        Pipeline.open(model="models/x.gguf", backend="openai", base_url=proxy.url, log_path=tmp_path / "log.sqlite3")


# -- the pipeline, an exercise, the CLI and the web app on the shared server -------------------

CPR = "150385-1234"
NAME = "Mette Kirstine Sørensen"
PHONE = "23 45 67 89"
EMAIL = "mette.sorensen@example.dk"
PII_PROMPT = f"Skriv et kort brev til {NAME}, cpr-nr. {CPR}, tlf. {PHONE}, e-mail {EMAIL}, om hendes boligstøtte."
SECRETS = (CPR, "1503851234", "Mette", "Kirstine", "Sørensen", PHONE, EMAIL)


def on_the_wire(proxy: Proxy) -> str:
    """Everything the server received, raw and with JSON escapes (\\u00f8) decoded."""
    texts = []
    for body in proxy.bodies:
        texts.append(body.decode("utf-8", "replace"))
        try:
            texts.append(json.dumps(json.loads(body), ensure_ascii=False))
        except ValueError:
            pass
    return "\n".join(texts)


def assert_nothing_personal_sent(proxy: Proxy) -> None:
    wire = on_the_wire(proxy)
    assert proxy.chat_bodies(), "nothing reached the server"
    for secret in SECRETS:
        assert secret not in wire, f"{secret!r} crossed the network"


def test_the_recorder_would_see_personal_data(backend: OpenAIBackend, proxy: Proxy) -> None:
    # The control for the privacy tests below: sent past the guard, the secrets do show up.
    run(backend, GenerationParams(max_tokens=2), seed=1, messages=(Message("user", PII_PROMPT),))
    wire = on_the_wire(proxy)
    assert all(secret in wire for secret in SECRETS if secret != "1503851234")


@pytest.fixture
def remote_pipeline(proxy: Proxy, tmp_path: Path, clean_env: None) -> Iterator[Pipeline]:
    from sandbox.pipeline import Pipeline

    pipe = Pipeline.open(backend="openai", base_url=proxy.url, remote_model=ALIAS, log_path=tmp_path / "log.sqlite3")
    yield pipe
    pipe.close()


def test_only_redacted_text_crosses_the_network(remote_pipeline, proxy: Proxy) -> None:
    from sandbox.pipeline import Request, Session

    request = Request(PII_PROMPT, GenerationParams(max_tokens=8), system=f"Brevet er til {NAME}.")
    result = remote_pipeline.ask(request, Session())
    assert result.input_guard.decision == "redacted"
    assert_nothing_personal_sent(proxy)
    [chat] = proxy.chat_bodies()
    sent = [m["content"] for m in chat["messages"]]
    assert sent == [m.content for m in result.sent]
    assert "[CPR_1]" in sent[-1] and "[PERSON_1]" in sent[-1] and "[PERSON_1]" in sent[0]
    [entry] = remote_pipeline.log.entries(limit=1)
    assert entry["backend"] == "openai" and entry["model_name"].startswith(f"{ALIAS} (127.0.0.1:")
    assert entry["prompt"] == sent[-1]
    assert entry["completion_tokens"] == result.completion_tokens > 0


def test_an_exercise_runs_on_the_shared_server(remote_pipeline, proxy: Proxy) -> None:
    from sandbox.exercises import get_card
    from sandbox.exercises.runners import run_card
    from sandbox.exercises.settings import RUNNER_SETTINGS
    from sandbox.pipeline import Session

    card = get_card("privatliv-journalnotat")
    settings = RUNNER_SETTINGS[card.runner.name].model_validate({**card.runner.settings, "max_tokens": 12})
    result = run_card(card, remote_pipeline, Session(), settings=settings)
    assert result.answer is not None and "[CPR_" in result.sent
    wire = on_the_wire(proxy)
    for secret in result.caught:
        assert secret not in wire, f"{secret!r} crossed the network"


def test_cli_ask_on_the_shared_server(proxy: Proxy, clean_env: None) -> None:
    from click.testing import CliRunner

    from sandbox.cli import main

    remote = ["--backend", "openai", "--base-url", proxy.url]
    outcome = CliRunner().invoke(main, ["ask", PII_PROMPT, "--max-tokens", "6", *remote, "--remote-model", ALIAS])
    assert outcome.exit_code == 0, outcome.output
    assert f"model: {ALIAS} (127.0.0.1:" in outcome.output and "[CPR_1]" in outcome.output
    assert_nothing_personal_sent(proxy)
    wrong = CliRunner().invoke(main, ["ask", "Hej", *remote, "--remote-model", "x"])
    assert wrong.exit_code == 1 and "Fejl: Modelserveren har ikke modellen 'x'" in wrong.output


def test_web_app_on_the_shared_server(remote_pipeline, proxy: Proxy) -> None:
    from gradio_client import Client
    from ui_server import running_app

    with running_app(remote_pipeline) as (url, _demo):
        job = Client(url, verbose=False).submit(
            PII_PROMPT, 0.7, 0.95, 8, "Tilfældig", 42, False, False, api_name="/send"
        )
        _answer, _meta, status, _history = job.result(timeout=300)
    assert status.startswith("**Færdig.**")
    assert_nothing_personal_sent(proxy)
    [entry] = remote_pipeline.log.entries(limit=1)
    assert entry["backend"] == "openai" and "[CPR_1]" in entry["prompt"]


# -- a server that answers badly ------------------------------------------------------------------
#
# A real HTTP server on 127.0.0.1 that speaks just enough of the API to be opened,
# then answers every chat request with the lines a test gives it: the malformed
# replies a broken or hostile server can send. The guard and the log are real.

SCRIPTED_MODEL = "skrevet"
SERVER_CPR = "010190-1235"
"""A CPR number in the server's reply: model output, so it must never reach the log or a message unguarded."""


@dataclass
class Scripted:
    """What the scripted server answers; tests change it between requests."""

    status: int = 200
    lines: list[str] = field(default_factory=list)
    body: bytes = b""
    auth: str | None = None
    """The Authorization header every request must carry, or None."""
    seen_auth: list[str | None] = field(default_factory=list)
    url: str = ""


def start_scripted(script: Scripted) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: object) -> None:
            pass

        def _refuse_without_auth(self) -> bool:
            script.seen_auth.append(self.headers.get("Authorization"))
            if script.auth is not None and self.headers.get("Authorization") != script.auth:
                self._send(401, b'{"error": {"message": "login"}}')
                return True
            return False

        def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self._refuse_without_auth():
                return
            if self.path == "/v1/models":
                self._send(200, json.dumps({"data": [{"id": SCRIPTED_MODEL}]}).encode())
            else:
                self._send(404, b"{}")

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self._refuse_without_auth():
                return
            if self.path != "/v1/chat/completions":
                self._send(404, b"{}")  # no token counting: the backend estimates
                return
            if script.status != 200:
                self._send(script.status, script.body)
                return
            stream = "".join(line + "\n\n" for line in script.lines).encode()
            self._send(200, stream, "text/event-stream")

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    script.url = f"http://127.0.0.1:{httpd.server_port}/v1"
    return httpd


@pytest.fixture
def scripted() -> Iterator[Scripted]:
    script = Scripted()
    httpd = start_scripted(script)
    yield script
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def real_guard():
    from sandbox.guards import Guard

    return Guard()


def chunk(content: object = None, finish: str | None = None, **extra: object) -> str:
    choice: dict = {"index": 0, "delta": {} if content is None else {"content": content}, "finish_reason": finish}
    return "data: " + json.dumps({"choices": [choice], **extra})


GOOD_END = [chunk("Kære borger."), chunk(finish="stop"), "data: [DONE]"]


def scripted_pipeline(script: Scripted, guard, tmp_path: Path) -> Pipeline:
    from sandbox.audit import AuditLog
    from sandbox.pipeline import Pipeline

    return Pipeline(OpenAIBackend(script.url, SCRIPTED_MODEL), guard, AuditLog(tmp_path / "log.sqlite3"))


def log_bytes(pipeline: Pipeline) -> bytes:
    import sqlite3

    with sqlite3.connect(pipeline.log.path) as db:
        db.execute("PRAGMA wal_checkpoint(PASSIVE)")
    return b"".join(p.read_bytes() for p in pipeline.log.path.parent.glob(pipeline.log.path.name + "*"))


TOLERATED = {
    "usage-null": [
        chunk("Kære borger."),
        chunk(finish="stop"),
        "data: " + json.dumps({"choices": [], "usage": {"prompt_tokens": None, "completion_tokens": None}}),
        "data: [DONE]",
    ],
    "usage-text": [
        chunk("Kære borger.", finish="stop"),
        "data: " + json.dumps({"choices": [], "usage": {"prompt_tokens": "mange", "completion_tokens": 3}}),
    ],
    "logprob-null": [
        "data: " + json.dumps({"choices": [{"delta": {"content": "Kære "}, "finish_reason": None, "logprobs": {
            "content": [{"token": "Kære ", "logprob": None, "top_logprobs": [{"token": 1}]}]}}]}),
        "data: " + json.dumps({"choices": [{"delta": {"content": "borger."}, "finish_reason": "stop", "logprobs": {
            "content": [{"token": "borger.", "logprob": -0.5, "top_logprobs": [
                {"token": "borger.", "logprob": -0.5}, {"token": "x", "logprob": None}, None]}]}}]}),
    ],
    "logprob-huge": [
        "data: " + json.dumps({"choices": [{"delta": {"content": "Kære borger."}, "finish_reason": "stop",
                                            "logprobs": {"content": [{"token": "Kære borger.", "logprob": 1e308,
                                                                      "top_logprobs": "ingen"}]}}]}),
    ],
}


@pytest.mark.parametrize("name", TOLERATED)
def test_a_malformed_count_or_probability_does_not_cost_the_answer(
    name: str, scripted: Scripted, real_guard, tmp_path: Path
) -> None:
    from sandbox.pipeline import Request, Session

    scripted.lines = TOLERATED[name]
    pipeline = scripted_pipeline(scripted, real_guard, tmp_path)
    try:
        result = pipeline.ask(Request("Skriv en hilsen.", GenerationParams(max_tokens=8, top_logprobs=2)), Session())
    finally:
        pipeline.close()
    assert result.answer == "Kære borger." and result.finish_reason == "stop"
    assert result.prompt_tokens > 0 and result.completion_tokens >= 1
    assert all(t.prob is None or 0.0 <= t.prob <= 1.0 for t in result.tokens)
    [entry] = pipeline.log.entries()
    assert entry["error"] is None and entry["response"] == "Kære borger."


FAILING = {
    "chunk-is-a-list": ["data: [1, 2, 3]", *GOOD_END],
    "chunk-is-a-number": [chunk("Kære "), "data: 12345", *GOOD_END],
    "invalid-json-quoting-a-cpr": [
        chunk("Kære "),
        'data: {"choices": [{"delta": {"content": "borger med cpr ' + SERVER_CPR,
        *GOOD_END,
    ],
    "nested-too-deep": ["data: " + "[" * 100_000 + "]" * 100_000, *GOOD_END],
    "choices-not-a-list": ['data: {"choices": {"0": "x"}}', *GOOD_END],
    "content-not-text": [chunk({"tekst": SERVER_CPR}), *GOOD_END],
    "error-event-quoting-a-cpr": [
        chunk("Kære "),
        "data: " + json.dumps({"error": {"message": f"fejl i svaret 'borger {SERVER_CPR}'"}}),
    ],
    "no-finish": [chunk("Kære "), chunk("borger "), "data: [DONE]"],
}


@pytest.mark.parametrize("name", FAILING)
def test_a_malformed_reply_is_logged_as_a_failed_call_in_danish(
    name: str, scripted: Scripted, real_guard, tmp_path: Path
) -> None:
    from sandbox.pipeline import Request, Session

    scripted.lines = FAILING[name]
    pipeline = scripted_pipeline(scripted, real_guard, tmp_path)
    try:
        with pytest.raises(GenerationError) as failed:
            pipeline.ask(Request("Skriv til Mette Hansen.", GenerationParams(max_tokens=8)), Session())
    finally:
        pipeline.close()
    message = failed.value.message
    assert message.startswith("Modelserveren") and SERVER_CPR not in message
    [entry] = pipeline.log.entries()
    assert entry["error"] == message and entry["finish_reason"] is None
    assert entry["prompt"] == "Skriv til [PERSON_1]." and entry["decision"] == "redacted"
    assert entry["response"] is None or entry["response"].startswith("Kære")
    blob = log_bytes(pipeline)
    for secret in (SERVER_CPR, "0101901235", "Mette Hansen"):
        assert secret.encode() not in blob
    assert pipeline.log.verify().ok


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, json.dumps({"error": {"message": f"intern fejl ved 'borger {SERVER_CPR}'"}}).encode()),
        (400, f"context length exceeded near '{SERVER_CPR}'".encode()),
        (404, f"no model for {SERVER_CPR}".encode()),
        (502, b"[" * 50_000),
    ],
)
def test_a_refusal_is_explained_without_quoting_the_server(
    status: int, body: bytes, scripted: Scripted, real_guard, tmp_path: Path
) -> None:
    from sandbox.pipeline import Request, Session

    scripted.status, scripted.body = status, body
    pipeline = scripted_pipeline(scripted, real_guard, tmp_path)
    try:
        with pytest.raises(UserError) as failed:
            pipeline.ask(Request("Skriv en hilsen.", GenerationParams(max_tokens=8)), Session())
    finally:
        pipeline.close()
    assert SERVER_CPR not in failed.value.message and "[[" not in failed.value.message
    if status == 400:
        assert "Prompten er for lang" in failed.value.message
    [entry] = pipeline.log.entries()
    assert entry["error"] == failed.value.message
    assert SERVER_CPR.encode() not in log_bytes(pipeline)


# -- credentials in the server's address ----------------------------------------------------------

USER, PASSWORD = "legeplads", "hemmelig-kode-42"


def test_credentials_in_the_address_are_used_but_never_shown_or_stored(
    scripted: Scripted, real_guard, tmp_path: Path, clean_env: None
) -> None:
    import base64

    from click.testing import CliRunner

    from sandbox.audit import AuditLog
    from sandbox.cli import main
    from sandbox.pipeline import Pipeline, Request, Session
    from sandbox.ui.about import model_markdown

    scripted.auth = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    scripted.lines = GOOD_END
    secret_url = scripted.url.replace("http://", f"http://{USER}:{PASSWORD}@")
    with pytest.raises(ModelError, match="afviser adgang"):
        OpenAIBackend(scripted.url, SCRIPTED_MODEL)  # the server really demands the login
    backend = OpenAIBackend(secret_url, SCRIPTED_MODEL)
    pipeline = Pipeline(backend, real_guard, AuditLog(tmp_path / "log.sqlite3"))
    try:
        result = pipeline.ask(Request("Skriv en hilsen.", GenerationParams(max_tokens=8)), Session())
    finally:
        pipeline.close()
    assert result.answer == "Kære borger."
    shown = [backend.base_url, backend.info.name, *backend.info.details.values(), model_markdown(backend.info)]
    assert backend.info.name == f"{SCRIPTED_MODEL} ({scripted.url.split('/')[2]})"
    [entry] = pipeline.log.entries()
    blob = log_bytes(pipeline)
    outcome = CliRunner().invoke(main, ["ask", "Hej", "--backend", "openai", "--base-url", secret_url])
    assert outcome.exit_code == 0, outcome.output
    for text in (*shown, json.dumps(entry), outcome.output):
        assert PASSWORD not in text and USER + ":" not in text
    assert PASSWORD.encode() not in blob
    # A wrong address is refused without repeating it (it may hold a password).
    with pytest.raises(UserError) as refused:
        normalise_base_url(f"{USER}:{PASSWORD}@modelserver:8080/v1")
    assert PASSWORD not in refused.value.message
