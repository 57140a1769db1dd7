"""The recommended real models, as data that the app and the download script share.

The demo models only show the mechanics; practising Danish letters and
summaries needs a real instruction model. This catalogue is the one list of
models we recommend, with what an IT department needs to decide: file size,
memory, licence, whether a Hugging Face login is needed, and published Danish
results. ``models/README.md`` explains every number and cites its source.

Honesty rules: a value we could not source is ``None`` (shown as "ukendt"),
never a guess. Speed and memory are *estimates* and are labelled so; the
method is in ``models/README.md``. A file without a catalogued sha256 is
still verified on download against the hash Hugging Face publishes for it
(the LFS object id), and the computed hash is printed so it can be recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sandbox.errors import UserError
from sandbox.models import models_dir


@dataclass(frozen=True)
class CatalogEntry:
    """One recommended GGUF file and the facts behind the recommendation."""

    name: str
    """Short name used on the command line: ``download_model.py NAME``."""
    title: str
    repo_id: str
    filename: str
    revision: str
    """A commit hash where the catalogued sha256 belongs to that commit, else ``main``."""
    sha256: str | None
    size_label: str
    """The size as the Hugging Face file listing shows it (rounded); the exact one comes from the server."""
    ram_gb_estimate: float
    licence: str
    licence_url: str
    gated: bool
    """True if Hugging Face requires a login and accepted licence for this file."""
    tokens_per_second_estimate: str
    euroeval_rank: float | None
    """Mean rank on the EuroEval Danish generative leaderboard (lower is better)."""
    notes: str
    """Danish, for the people choosing: what the model is good and bad at."""
    source_url: str
    """The page the filename, size (and sha256, if any) were taken from."""
    recommended_default: bool = False
    weak_laptop: bool = False

    def path(self, dest: Path | None = None) -> Path:
        """Where the downloaded file lives (default: the models folder the app searches)."""
        return (dest or models_dir()) / self.filename

    def is_downloaded(self, dest: Path | None = None) -> bool:
        return self.path(dest).is_file()

    @property
    def page_url(self) -> str:
        """The model's page on Hugging Face (licence text, login, model card)."""
        return f"https://huggingface.co/{self.repo_id}"


CATALOG: tuple[CatalogEntry, ...] = (
    CatalogEntry(
        name="gemma-3-4b-it",
        title="Gemma 3 4B Instruct",
        repo_id="ggml-org/gemma-3-4b-it-GGUF",
        filename="gemma-3-4b-it-Q4_K_M.gguf",
        revision="main",
        sha256=None,
        size_label="2,49 GB",
        ram_gb_estimate=3.5,
        licence="Gemma Terms of Use",
        licence_url="https://ai.google.dev/gemma/terms",
        gated=False,
        tokens_per_second_estimate="ca. 8-12 (skøn)",
        euroeval_rank=2.08,
        notes=(
            "Anbefalet standard. Skriver forståeligt dansk og følger instruktioner godt for sin "
            "størrelse; ingen 'tænke'-tilstand, så svarene kommer direkte. Finder stadig på "
            "fakta og paragraffer, og dansk retskrivning er ikke fejlfri."
        ),
        source_url="https://huggingface.co/ggml-org/gemma-3-4b-it-GGUF/tree/main",
        recommended_default=True,
    ),
    CatalogEntry(
        name="llama-3.2-3b-instruct",
        title="Llama 3.2 3B Instruct",
        repo_id="bartowski/Llama-3.2-3B-Instruct-GGUF",
        filename="Llama-3.2-3B-Instruct-Q4_K_M.gguf",
        revision="c346bfc2029e79ba6d7edf026cf01fe44242db0d",
        sha256="6c1a2b41161032677be168d354123594c0e6e67d2b9227c84f296ad037c728ff",
        size_label="2,02 GB",
        ram_gb_estimate=3.0,
        licence="Llama 3.2 Community License",
        licence_url="https://www.llama.com/llama3_2/license/",
        gated=False,
        tokens_per_second_estimate="ca. 10-15 (skøn)",
        euroeval_rank=2.58,
        notes=(
            "Til svage bærbare: den mindste og hurtigste af 3-4B-modellerne, uden 'tænke'-tilstand. "
            "Dansk er ikke blandt Metas officielt understøttede sprog, og det kan mærkes: svag "
            "grammatik og faktaviden på EuroEval. Godt nok til at øve prompter, ikke til færdige breve."
        ),
        source_url=(
            "https://huggingface.co/bartowski/Llama-3.2-3B-Instruct-GGUF/blob/"
            "c346bfc2029e79ba6d7edf026cf01fe44242db0d/Llama-3.2-3B-Instruct-Q4_K_M.gguf"
        ),
        weak_laptop=True,
    ),
    CatalogEntry(
        name="qwen3-4b",
        title="Qwen3 4B",
        repo_id="Qwen/Qwen3-4B-GGUF",
        filename="Qwen3-4B-Q4_K_M.gguf",
        revision="main",
        sha256=None,
        size_label="ukendt (ca. 2,5 GB for Q4_K_M af en 4B-model)",
        ram_gb_estimate=3.5,
        licence="Apache 2.0",
        licence_url="https://www.apache.org/licenses/LICENSE-2.0",
        gated=False,
        tokens_per_second_estimate="ca. 8-12 (skøn)",
        euroeval_rank=1.99,
        notes=(
            "Bedst placeret af de små modeller på EuroEval (målt uden 'tænkning'). Men den "
            "tænker højt som standard og skriver <think>...</think> før svaret; skriv /no_think "
            "i systemprompten for at slå det fra. Dansk flydende, men med svenske og engelske ord."
        ),
        source_url="https://huggingface.co/models?other=base_model:quantized:Qwen/Qwen3-4B",
    ),
    CatalogEntry(
        name="ministral-3-3b-instruct",
        title="Ministral 3 3B Instruct (2512)",
        repo_id="unsloth/Ministral-3-3B-Instruct-2512-GGUF",
        filename="Ministral-3-3B-Instruct-2512-Q4_K_M.gguf",
        revision="main",
        sha256=None,
        size_label="ukendt (ca. 2 GB for Q4_K_M af en 3B-model)",
        ram_gb_estimate=3.0,
        licence="Apache 2.0",
        licence_url="https://www.apache.org/licenses/LICENSE-2.0",
        gated=False,
        tokens_per_second_estimate="ca. 10-15 (skøn)",
        euroeval_rank=2.23,
        notes=(
            "Europæisk alternativ med fri licens. God til at finde svar i en tekst, men svag til "
            "dansk grammatik og den svageste af de fire til resuméer på EuroEval."
        ),
        source_url="https://huggingface.co/models?search=Ministral%203%203B%20GGUF",
    ),
    CatalogEntry(
        name="gemma-3-1b-it",
        title="Gemma 3 1B Instruct",
        repo_id="unsloth/gemma-3-1b-it-GGUF",
        filename="gemma-3-1b-it-Q4_K_M.gguf",
        revision="main",
        sha256=None,
        size_label="806 MB",
        ram_gb_estimate=1.5,
        licence="Gemma Terms of Use",
        licence_url="https://ai.google.dev/gemma/terms",
        gated=False,
        tokens_per_second_estimate="ca. 25-35 (skøn)",
        euroeval_rank=3.16,
        notes=(
            "Kun til meget gamle maskiner eller for at vise forskellen på små og større modeller. "
            "1B-modeller er svage på dansk: forståelse af en tekst og faktaviden er tæt på gætværk."
        ),
        source_url="https://huggingface.co/unsloth/gemma-3-1b-it-GGUF/tree/main",
    ),
)


def names() -> list[str]:
    return [entry.name for entry in CATALOG]


def get(name: str) -> CatalogEntry:
    """The entry called ``name``, or a Danish error listing the names there are."""
    for entry in CATALOG:
        if entry.name == name.strip().lower():
            return entry
    raise UserError(
        f"'{name}' er ikke i modelkataloget. Vælg en af: {', '.join(names())}. "
        "Andre modeller: brug --url URL --sha256 HEX."
    )


def default() -> CatalogEntry:
    """The model the app recommends for an ordinary laptop."""
    return next(entry for entry in CATALOG if entry.recommended_default)


def weak_laptop() -> CatalogEntry:
    """The model the app recommends for a laptop with little memory or an old CPU."""
    return next(entry for entry in CATALOG if entry.weak_laptop)


def summary_line(entry: CatalogEntry, dest: Path | None = None) -> str:
    """One line per model for ``download_model.py --list`` and ``legeplads models catalog``."""
    flags = [
        "standard" if entry.recommended_default else "",
        "svag bærbar" if entry.weak_laptop else "",
        "kræver login" if entry.gated else "",
        "HENTET" if entry.is_downloaded(dest) else "ikke hentet",
    ]
    rank = "EuroEval: ingen"
    if entry.euroeval_rank is not None:
        rank = f"EuroEval-rang {entry.euroeval_rank:.2f}".replace(".", ",")
    size = entry.size_label.split(" (")[0]
    ram = f"{entry.ram_gb_estimate:.1f}".replace(".", ",")
    return (
        f"{entry.name:24} {size:>8}  RAM ca. {ram} GB  {rank}  "
        f"{entry.licence}  [{', '.join(f for f in flags if f)}]"
    )
