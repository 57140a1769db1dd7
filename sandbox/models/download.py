"""Fetching a model file: resumable, verified, and in place only when whole.

A model is 1-5 GB, fetched over a municipal network that drops connections
and through proxies that cut long transfers. So a download

* checks free disk space before it starts;
* writes into ``models/.partial/`` and resumes from there, within one run
  (a dropped connection is retried with an HTTP Range request) and across
  runs (after Ctrl-C or a reboot, running the same command again continues);
* verifies the sha256: the catalogue's value, the ``--sha256`` given, or for
  Hugging Face files the hash the Hub publishes (the LFS object id). A file
  that does not match is deleted, never moved into ``models/``;
* checks that the result is a GGUF file (a login page saved as ``.gguf``
  would otherwise only fail much later, when the app loads it);
* moves it into ``models/`` with one atomic rename, so the app never sees a
  half-written model.

The transfer itself is huggingface_hub's ``http_get`` (retries, Range resume,
progress bar, size check) and its metadata request (``HF_ENDPOINT``, login
token, gated-repo errors). We do not use ``hf_hub_download``: since
huggingface_hub 1.x it writes to a per-process temporary file and deletes it
on failure, so an interrupted 3 GB download would start from zero.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx2
from huggingface_hub import constants, get_hf_file_metadata, hf_hub_url
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    OfflineModeIsEnabled,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.file_download import http_get
from huggingface_hub.utils import build_hf_headers

from sandbox.errors import ModelError, UserError
from sandbox.models import GGUF_MAGIC
from sandbox.models.catalog import CatalogEntry
from sandbox.numbers import thousands

PARTIAL_DIR = ".partial"
# Room left over after the download: a full disk breaks the log and the OS.
DISK_MARGIN_BYTES = 200 * 1024 * 1024
# The Hub and its download hosts (cdn-lfs.huggingface.co, cas-bridge.xethub.hf.co, ...).
HUB_HOSTS = ("huggingface.co", "hf.co")
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
LOGIN_HELP = (
    "Log ind på Hugging Face med 'hf auth login' (eller sæt miljøvariablen HF_TOKEN til et "
    "læse-token fra https://huggingface.co/settings/tokens)"
)


class DownloadError(UserError):
    """The download failed or was refused; the message says what to do."""


@dataclass(frozen=True)
class Source:
    """Where a file comes from and what it must hash to."""

    url: str
    filename: str
    sha256: str | None
    label: str
    """How the source is named in messages: a catalogue name or the URL."""
    hub: bool
    """A Hugging Face file: send the login token, trust the Hub's LFS hash, explain gating."""
    page_url: str | None = None
    headers: dict[str, str] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class Downloaded:
    path: Path
    sha256: str
    verified_by: str | None
    """What the hash was checked against (Danish), or None when nothing to check against existed."""
    resumed_from: int
    already_present: bool = False


def hub_endpoint() -> str:
    """``$HF_ENDPOINT`` read now (a mirror or a test server), else the Hub."""
    return (os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).rstrip("/")


def from_catalog(entry: CatalogEntry) -> Source:
    url = hf_hub_url(entry.repo_id, entry.filename, revision=entry.revision, endpoint=hub_endpoint())
    return Source(
        url=url,
        filename=entry.filename,
        sha256=entry.sha256,
        label=entry.name,
        hub=True,
        page_url=f"{hub_endpoint()}/{entry.repo_id}",
        headers=build_hf_headers(),
    )


def from_url(url: str, sha256: str | None) -> Source:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise DownloadError(f"'{url}' er ikke en web-adresse. Den skal starte med https:// (eller http://).")
    filename = Path(parts.path).name
    if not filename.endswith(".gguf"):
        raise DownloadError(
            f"Adressen skal pege på en .gguf-fil (fik '{filename or parts.path}'). Legepladsen kan kun "
            "køre modeller i GGUF-format."
        )
    if sha256 is not None:
        sha256 = sha256.strip().lower()
        if not SHA256_HEX.match(sha256):
            raise DownloadError("--sha256 skal være 64 hex-tegn (0-9, a-f), som sha256sum skriver dem.")
    return Source(url=url, filename=filename, sha256=sha256, label=url, hub=False)


def download(
    source: Source,
    dest: Path,
    *,
    say: Callable[[str], None] = lambda _message: None,
) -> Downloaded:
    """Fetch ``source`` into ``dest`` (see the module docstring for the guarantees)."""
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DownloadError(f"Mappen {dest} kan ikke oprettes: {error.strerror}.") from None
    final = dest / source.filename
    if final.exists():
        return _existing(final, source, say)

    with _offline_means_the_hub(source):
        size, etag, location = _metadata(source)
    expected, verified_by = _expected_hash(source, etag)
    partial = _partial_path(dest, source, etag, size)
    have = partial.stat().st_size if partial.exists() else 0
    if size is not None and have > size:
        partial.unlink()
        have = 0
    _check_space(dest, None if size is None else size - have)
    if have:
        say(f"Fortsætter en afbrudt download: {_mb(have)} af {_mb(size) if size else '?'} er hentet.")

    with _offline_means_the_hub(source):
        _transfer(source, location, partial, have, size)

    say("Kontrollerer filen (sha256) ...")
    digest = file_sha256(partial)
    if expected is not None and digest != expected:
        partial.unlink()
        raise DownloadError(
            f"Kontrolsummen passer ikke, så filen er slettet.\n  forventet ({verified_by}): {expected}\n"
            f"  hentet:    {digest}\nFilen er beskadiget undervejs eller ændret på serveren. Kør kommandoen "
            "igen; sker det igen, så kontakt den, der har udgivet filen."
        )
    _check_gguf(partial)
    os.replace(partial, final)
    return Downloaded(final, digest, verified_by, resumed_from=have)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def _offline_means_the_hub(source: Source) -> Iterator[None]:
    """Let a download from a server that is not Hugging Face through while ``HF_HUB_OFFLINE`` is set.

    The variable turns off the Hub, but huggingface_hub refuses every request
    its session makes, whatever the host; the transfer code is still worth
    using for any server (resume, retries, size check). A ``--url`` on the
    Hub itself (or on ``$HF_ENDPOINT``) stays refused.
    """
    host = (urlsplit(source.url).hostname or "").lower()
    on_hub = (
        source.hub
        or host == urlsplit(hub_endpoint()).hostname
        or any(host == name or host.endswith("." + name) for name in HUB_HOSTS)
    )
    if on_hub or not constants.HF_HUB_OFFLINE:
        yield
        return
    constants.HF_HUB_OFFLINE = False
    try:
        yield
    finally:
        constants.HF_HUB_OFFLINE = True


def _existing(final: Path, source: Source, say: Callable[[str], None]) -> Downloaded:
    """A file of that name is already in place: accept it only if it is the right one."""
    say(f"{final.name} findes allerede; kontrollerer den ...")
    digest = file_sha256(final)
    if source.sha256 is not None and digest != source.sha256:
        raise DownloadError(
            f"{final} findes allerede, men er en anden fil end den forventede (sha256 {digest}). "
            "Slet eller omdøb den, og kør kommandoen igen."
        )
    verified_by = "kataloget" if source.hub and source.sha256 else ("--sha256" if source.sha256 else None)
    return Downloaded(final, digest, verified_by, resumed_from=0, already_present=True)


def _metadata(source: Source) -> tuple[int | None, str | None, str]:
    """(size, etag, where to GET) from one HEAD request, errors turned into Danish advice."""
    try:
        meta = get_hf_file_metadata(
            source.url,
            token=None if source.hub else False,
            headers=None if source.hub else {},
            endpoint=hub_endpoint() if source.hub else None,
        )
    except HfHubHTTPError as error:
        raise _http_error(error, source) from None
    except OfflineModeIsEnabled:
        raise DownloadError(
            "Hugging Face er slået fra på denne maskine (HF_HUB_OFFLINE er sat). Fjern variablen "
            "for at hente, eller læg .gguf-filen i models/ manuelt."
        ) from None
    except httpx2.TransportError as error:
        raise _network_error(source, error) from None
    return meta.size, meta.etag, meta.location


def _expected_hash(source: Source, etag: str | None) -> tuple[str | None, str | None]:
    """The hash the file must have, and who says so."""
    hub_hash = etag.lower() if source.hub and etag and SHA256_HEX.match(etag.lower()) else None
    if source.sha256 and hub_hash and source.sha256 != hub_hash:
        raise DownloadError(
            f"Filen {source.filename} på Hugging Face er ikke længere den, kataloget anbefaler "
            f"(katalog: {source.sha256}, Hugging Face: {hub_hash}). Der er ikke hentet noget. "
            "Opdatér legepladsen, eller hent bevidst den nye fil med --url og --sha256."
        )
    if source.sha256:
        return source.sha256, "kataloget" if source.hub else "--sha256"
    if hub_hash:
        return hub_hash, "Hugging Face"
    return None, None


def _partial_path(dest: Path, source: Source, etag: str | None, size: int | None) -> Path:
    """The resumable file for exactly this remote file; stale partials of other versions go."""
    key = hashlib.sha256(f"{source.url}|{etag}|{size}".encode()).hexdigest()[:12]
    folder = dest / PARTIAL_DIR
    folder.mkdir(exist_ok=True)
    partial = folder / f"{source.filename}.{key}.part"
    for stale in folder.glob(f"{source.filename}.*.part"):
        if stale != partial:
            stale.unlink(missing_ok=True)
    return partial


def _check_space(dest: Path, needed: int | None) -> None:
    if needed is None:
        return
    free = shutil.disk_usage(dest).free
    if free < needed + DISK_MARGIN_BYTES:
        raise DownloadError(
            f"Der er ikke plads på disken: filen kræver {_mb(needed)} mere, og der er {_mb(free)} fri "
            f"i {dest} (legepladsen lader {_mb(DISK_MARGIN_BYTES)} stå fri). Ryd op, eller vælg en "
            "anden mappe med --dest."
        )


def _transfer(source: Source, location: str, partial: Path, have: int, size: int | None) -> None:
    # The login token goes only to the Hub itself, never to the CDN it redirects to.
    same_host = urlsplit(location).netloc == urlsplit(source.url).netloc
    headers = source.headers if same_host else {}
    try:
        with partial.open("ab") as handle:
            http_get(
                location,
                handle,
                resume_size=have,
                headers=headers,
                expected_size=size,
                displayed_filename=source.filename,
            )
            handle.flush()
            os.fsync(handle.fileno())
    except HfHubHTTPError as error:
        raise _http_error(error, source) from None
    except httpx2.TransportError as error:
        raise _network_error(source, error, partial) from None
    except OSError as error:
        if error.errno == errno.ENOSPC:
            raise DownloadError(
                f"Disken blev fuld under download ({_mb(partial.stat().st_size)} hentet). Ryd op, og kør "
                "kommandoen igen: den fortsætter, hvor den slap."
            ) from None
        if error.errno is not None:
            raise DownloadError(f"Kan ikke skrive {partial}: {error.strerror}.") from None
        # huggingface_hub's size check: the server ended the file early (or sent too much).
        got = partial.stat().st_size if partial.exists() else 0
        if size is not None and got > size:
            partial.unlink()
        raise DownloadError(
            f"Serveren sendte {_mb(got)} i stedet for {_mb(size)}. Kør kommandoen igen for at fortsætte."
        ) from None


def _check_gguf(partial: Path) -> None:
    with partial.open("rb") as handle:
        magic = handle.read(4)
    if magic != GGUF_MAGIC:
        partial.unlink()
        raise ModelError(
            "Den hentede fil er ikke en GGUF-modelfil (måske en login- eller fejlside), så den er "
            "slettet. Tjek adressen."
        )


def _http_error(error: HfHubHTTPError, source: Source) -> DownloadError:
    status = error.response.status_code if error.response is not None else None
    where = source.page_url or source.url
    if isinstance(error, GatedRepoError) or (source.hub and status in (401, 403)):
        return DownloadError(
            f"Modellen {source.label} kræver, at du er logget ind på Hugging Face og har accepteret "
            f"licensen. 1) Åbn {where} og acceptér licensen med din konto. 2) {LOGIN_HELP}. "
            "3) Kør kommandoen igen."
        )
    if isinstance(error, (RepositoryNotFoundError, RevisionNotFoundError, RemoteEntryNotFoundError)) or status == 404:
        return DownloadError(
            f"Filen findes ikke på serveren (404): {source.url}. Tjek navnet; er kataloget forældet, "
            "så opdatér legepladsen."
        )
    if status in (401, 403):
        return DownloadError(f"Serveren afviser adgang ({status}) til {source.url}. Filen kræver login.")
    return DownloadError(f"Serveren svarede med fejl {status} for {source.url}. Prøv igen senere.")


def _network_error(source: Source, error: Exception, partial: Path | None = None) -> DownloadError:
    host = urlsplit(source.url).netloc
    kept = ""
    if partial is not None and partial.exists() and partial.stat().st_size:
        kept = f" {_mb(partial.stat().st_size)} er gemt; kør kommandoen igen for at fortsætte, hvor den slap."
    return DownloadError(
        f"Ingen forbindelse til {host} ({type(error).__name__}). Tjek netværket og evt. proxy "
        f"(HTTPS_PROXY); på et lukket net kan IT pege HF_ENDPOINT på et internt spejl.{kept}"
    )


def _mb(count: int | None) -> str:
    if count is None:
        return "ukendt størrelse"
    return f"{thousands(round(count / 1e6))} MB"
