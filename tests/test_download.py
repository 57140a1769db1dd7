"""Model downloads against a real HTTP server on 127.0.0.1, never the internet.

The server speaks the Hugging Face URL layout (``/{repo}/resolve/{revision}/
{file}`` with ETag = sha256, X-Repo-Commit, Content-Length, Range support)
and ``HF_ENDPOINT`` points at it, so huggingface_hub runs its real code path.
The bytes served are the first 24 MiB of the real demo GGUF file: more than
two of huggingface_hub's 10 MiB write chunks, so a cut connection leaves a
partial file to resume from.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from huggingface_hub import constants

from sandbox.errors import ModelError
from sandbox.models import catalog, download
from sandbox.models.catalog import CatalogEntry
from sandbox.models.download import DownloadError, from_catalog, from_url

REPO = "test-org/tiny-GGUF"
FILE = "tiny-Q4_K_M.gguf"
COMMIT = "0123456789abcdef0123456789abcdef01234567"


@dataclass
class Remote:
    """What the loopback server serves and how it misbehaves; it records every request."""

    files: dict[str, bytes] = field(default_factory=dict)
    etags: dict[str, str] = field(default_factory=dict)
    gated: set[str] = field(default_factory=set)
    drop_after: int | None = None
    """Cut the connection after this many body bytes, once."""
    fail_after_drop: bool = False
    """After the cut, answer 503 (the server went away) instead of resuming."""
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)
    dropped: bool = False

    def ranges(self) -> list[str | None]:
        return [r for method, _path, r in self.requests if method == "GET"]


def make_handler(remote: Remote) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args: object) -> None:
            pass

        def do_HEAD(self) -> None:
            self._serve(body=False)

        def do_GET(self) -> None:
            self._serve(body=True)

        def _serve(self, body: bool) -> None:
            remote.requests.append((self.command, self.path, self.headers.get("Range")))
            path = self.path.split("?")[0]
            if path in remote.gated:
                self._error(401, "GatedRepo", "Access to model test-org/tiny-GGUF is restricted.")
                return
            if path not in remote.files:
                self._error(404, "EntryNotFound", "Entry not found")
                return
            if body and remote.dropped and remote.fail_after_drop:
                self._error(503, None, "Service unavailable")
                return
            data = remote.files[path]
            start = 0
            if self.headers.get("Range"):
                start = int(self.headers["Range"].removeprefix("bytes=").split("-")[0])
            self.send_response(206 if start else 200)
            self.send_header("Content-Length", str(len(data) - start))
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("ETag", f'"{remote.etags.get(path, "")}"')
            self.send_header("X-Repo-Commit", COMMIT)
            if start:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.end_headers()
            if not body:
                return
            if remote.drop_after is not None and not remote.dropped and not start:
                remote.dropped = True
                self.wfile.write(data[: remote.drop_after])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.wfile.write(data[start:])

        def _error(self, status: int, code: str | None, message: str) -> None:
            payload = message.encode()
            self.send_response(status)
            if code:
                self.send_header("X-Error-Code", code)
            self.send_header("X-Error-Message", message)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

    return Handler


@pytest.fixture(scope="module")
def payload(demo_model_path: Path) -> bytes:
    with demo_model_path.open("rb") as handle:
        return handle.read(24 * 1024 * 1024)


@pytest.fixture
def remote(payload: bytes, monkeypatch: pytest.MonkeyPatch) -> Iterator[Remote]:
    state = Remote()
    path = f"/{REPO}/resolve/main/{FILE}"
    state.files[path] = payload
    state.etags[path] = hashlib.sha256(payload).hexdigest()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.base = f"http://127.0.0.1:{server.server_port}"  # type: ignore[attr-defined]
    monkeypatch.setenv("HF_ENDPOINT", state.base)  # type: ignore[attr-defined]
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    yield state
    server.shutdown()
    server.server_close()


def entry(**changes: object) -> CatalogEntry:
    fields: dict[str, object] = {"name": "tiny", "repo_id": REPO, "filename": FILE, "revision": "main", "sha256": None}
    return replace(catalog.default(), **{**fields, **changes})


def test_catalogue_file_is_fetched_verified_and_moved_into_place(
    remote: Remote, payload: bytes, tmp_path: Path
) -> None:
    result = download.download(from_catalog(entry()), tmp_path)
    assert result.path == tmp_path / FILE
    assert result.path.read_bytes() == payload
    assert result.sha256 == hashlib.sha256(payload).hexdigest()
    assert result.verified_by == "Hugging Face"  # the Hub's published LFS hash
    assert list((tmp_path / ".partial").iterdir()) == []
    assert remote.ranges() == [None]


def test_catalogue_sha256_is_checked_and_a_changed_upstream_file_is_refused(
    remote: Remote, payload: bytes, tmp_path: Path
) -> None:
    good = hashlib.sha256(payload).hexdigest()
    assert download.download(from_catalog(entry(sha256=good)), tmp_path).verified_by == "kataloget"
    other = tmp_path / "other"
    with pytest.raises(DownloadError, match="ikke længere den, kataloget anbefaler"):
        download.download(from_catalog(entry(sha256="0" * 64)), other)
    assert remote.ranges() == [None]  # nothing was fetched for the refused one


def test_dropped_connection_is_resumed_with_a_range_request(remote: Remote, payload: bytes, tmp_path: Path) -> None:
    remote.drop_after = 15_000_000
    result = download.download(from_catalog(entry()), tmp_path)
    assert result.path.read_bytes() == payload
    # Everything written before the cut is kept: the retry asks only for the rest.
    assert remote.ranges() == [None, f"bytes={constants.DOWNLOAD_CHUNK_SIZE}-"]


def test_interrupted_download_continues_in_the_next_run(remote: Remote, payload: bytes, tmp_path: Path) -> None:
    remote.drop_after = 15_000_000
    remote.fail_after_drop = True
    with pytest.raises(DownloadError, match="503"):
        download.download(from_catalog(entry()), tmp_path)
    assert not (tmp_path / FILE).exists()
    [partial] = (tmp_path / ".partial").iterdir()
    kept = partial.stat().st_size
    assert kept == constants.DOWNLOAD_CHUNK_SIZE

    remote.fail_after_drop = False
    messages: list[str] = []
    result = download.download(from_catalog(entry()), tmp_path, say=messages.append)
    assert result.resumed_from == kept
    assert result.path.read_bytes() == payload
    assert remote.ranges()[-1] == f"bytes={kept}-"
    assert any("Fortsætter" in m for m in messages)
    assert not partial.exists()


def test_corrupted_file_is_rejected_and_removed(remote: Remote, payload: bytes, tmp_path: Path) -> None:
    path = f"/{REPO}/resolve/main/{FILE}"
    remote.files[path] = payload[:-1] + bytes([payload[-1] ^ 0xFF])  # one flipped byte, same size
    with pytest.raises(DownloadError, match="Kontrolsummen passer ikke") as error:
        download.download(from_catalog(entry()), tmp_path)
    assert hashlib.sha256(payload).hexdigest() in error.value.message
    assert not (tmp_path / FILE).exists()
    assert list((tmp_path / ".partial").iterdir()) == []


def test_url_with_wrong_sha256_is_rejected(remote: Remote, tmp_path: Path) -> None:
    source = from_url(f"{remote.base}/{REPO}/resolve/main/{FILE}", "ab" * 32)  # type: ignore[attr-defined]
    with pytest.raises(DownloadError, match="Kontrolsummen passer ikke"):
        download.download(source, tmp_path)
    assert not (tmp_path / FILE).exists()


def test_url_without_sha256_downloads_but_says_it_was_not_verified(
    remote: Remote, payload: bytes, tmp_path: Path
) -> None:
    source = from_url(f"{remote.base}/{REPO}/resolve/main/{FILE}", None)  # type: ignore[attr-defined]
    result = download.download(source, tmp_path)
    assert result.verified_by is None  # a generic server's ETag is not trusted as a hash
    assert result.sha256 == hashlib.sha256(payload).hexdigest()


def test_a_page_that_is_not_gguf_is_removed(remote: Remote, tmp_path: Path) -> None:
    remote.files["/login.gguf"] = b"<html>Log ind</html>" * 100
    with pytest.raises(ModelError, match="ikke en GGUF-modelfil"):
        download.download(from_url(f"{remote.base}/login.gguf", None), tmp_path)  # type: ignore[attr-defined]
    assert not (tmp_path / "login.gguf").exists()


def test_existing_file_is_kept_when_it_matches(remote: Remote, payload: bytes, tmp_path: Path) -> None:
    download.download(from_catalog(entry()), tmp_path)
    again = download.download(from_catalog(entry(sha256=hashlib.sha256(payload).hexdigest())), tmp_path)
    assert again.already_present and again.verified_by == "kataloget"
    assert remote.ranges() == [None]
    with pytest.raises(DownloadError, match="anden fil end den forventede"):
        download.download(from_catalog(entry(sha256="1" * 64)), tmp_path)


def test_missing_file_says_404(remote: Remote, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match=r"findes ikke på serveren \(404\)"):
        download.download(from_catalog(entry(filename="missing.gguf")), tmp_path)
    with pytest.raises(DownloadError, match=r"\(404\)"):
        download.download(from_url(f"{remote.base}/nothing/here.gguf", None), tmp_path)  # type: ignore[attr-defined]


def test_gated_model_explains_how_to_log_in(remote: Remote, tmp_path: Path) -> None:
    remote.gated.add(f"/{REPO}/resolve/main/{FILE}")
    with pytest.raises(DownloadError) as error:
        download.download(from_catalog(entry()), tmp_path)
    message = error.value.message
    assert "acceptér licensen" in message and "hf auth login" in message and "HF_TOKEN" in message
    assert f"{remote.base}/{REPO}" in message  # type: ignore[attr-defined]


def test_too_little_disk_space_stops_before_downloading(
    remote: Remote, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Filling a real disk on a shared test machine would hurt everything else
    # running on it, so the free-space figure the check reads is replaced.
    monkeypatch.setattr(download.shutil, "disk_usage", lambda _path: type("U", (), {"free": 50_000_000})())
    with pytest.raises(DownloadError, match="ikke plads på disken"):
        download.download(from_catalog(entry()), tmp_path)
    assert remote.ranges() == []


def test_no_network_is_a_clear_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:  # a port that nothing listens on: connection refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    with pytest.raises(DownloadError, match="Ingen forbindelse til 127.0.0.1"):
        download.download(from_catalog(entry()), tmp_path)


def test_bad_arguments_are_refused_in_danish() -> None:
    with pytest.raises(DownloadError, match="web-adresse"):
        from_url("models/x.gguf", None)
    with pytest.raises(DownloadError, match=".gguf-fil"):
        from_url("https://example.org/model.bin", None)
    with pytest.raises(DownloadError, match="64 hex-tegn"):
        from_url("https://example.org/m.gguf", "xyz")
    with pytest.raises(catalog.UserError, match="ikke i modelkataloget"):
        catalog.get("gpt-5")


def load_script():
    path = Path(__file__).resolve().parent.parent / "scripts" / "download_model.py"
    spec = importlib.util.spec_from_file_location("download_model", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_script_downloads_a_catalogue_name_and_records_the_checksum(
    remote: Remote, payload: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(catalog, "CATALOG", (*catalog.CATALOG, entry()))
    script = load_script()
    assert script.main(["tiny", "--dest", str(tmp_path)]) == 0
    digest = hashlib.sha256(payload).hexdigest()
    assert (tmp_path / "SHA256SUMS").read_text() == f"{digest}  {FILE}\n"
    out = capsys.readouterr().out
    assert f"sha256 {digest} (kontrolleret mod Hugging Face)" in out
    assert script.main(["--list", "--dest", str(tmp_path)]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[-1].startswith("tiny") and "HENTET" in listed[-1]
    assert all("ikke hentet" in line for line in listed[:-1])
    assert script.main(["nope"]) == 1
    assert "ikke i modelkataloget" in capsys.readouterr().err


def test_catalogue_is_consistent() -> None:
    assert catalog.default().recommended_default and catalog.weak_laptop().weak_laptop
    assert len(set(catalog.names())) == len(catalog.CATALOG)
    for item in catalog.CATALOG:
        assert item.filename.endswith(".gguf")
        assert item.sha256 is None or len(item.sha256) == 64
        assert item.sha256 is None or len(item.revision) == 40, "a catalogued sha256 needs a pinned commit"
        assert "skøn" in item.tokens_per_second_estimate


def run_script(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """scripts/download_model.py in its own process: huggingface_hub reads HF_HUB_OFFLINE when imported."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    environment.update(env)
    script = Path(__file__).resolve().parent.parent / "scripts" / "download_model.py"
    return subprocess.run(
        [sys.executable, str(script), *args], env=environment, capture_output=True, text=True, timeout=300
    )


def test_hf_hub_offline_turns_off_the_hub_not_other_servers(remote: Remote, payload: bytes, tmp_path: Path) -> None:
    url = f"{remote.base}/{REPO}/resolve/main/{FILE}"  # type: ignore[attr-defined]
    digest = hashlib.sha256(payload).hexdigest()
    done = run_script("--url", url, "--sha256", digest, "--dest", str(tmp_path), HF_HUB_OFFLINE="1")
    assert done.returncode == 0, done.stderr
    assert "slået fra" not in done.stderr + done.stdout
    assert hashlib.sha256((tmp_path / FILE).read_bytes()).hexdigest() == digest
    # The same server named as the Hub's endpoint is the Hub: offline means no request at all.
    before = len(remote.requests)
    refused = run_script(
        "--url", url, "--dest", str(tmp_path / "hub"), HF_HUB_OFFLINE="1", HF_ENDPOINT=remote.base  # type: ignore[attr-defined]
    )
    assert refused.returncode == 1 and "Hugging Face er slået fra" in refused.stderr
    assert "Traceback" not in refused.stderr and len(remote.requests) == before
