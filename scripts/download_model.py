"""Download a model for legeplads into models/ (resumable, sha256-verified).

The folder is ``$LEGEPLADS_MODELS_DIR`` when set (the app looks there too),
else the checkout's ``models/``; ``--dest`` overrides both.

    python scripts/download_model.py gemma-3-4b-it        a model from the catalogue
    python scripts/download_model.py --list               the catalogue, and what is downloaded
    python scripts/download_model.py --url URL --sha256 HEX   any other GGUF file

Run it again after an interruption: it continues where it stopped. Names,
sizes, licences and Danish benchmark results: models/README.md. Behind a
proxy set HTTPS_PROXY; on a closed network point HF_ENDPOINT at a mirror.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sandbox import cli_danish  # noqa: E402
from sandbox.errors import UserError  # noqa: E402
from sandbox.models import catalog, models_dir  # noqa: E402
from sandbox.models.download import Downloaded, download, from_catalog, from_url  # noqa: E402

CHECKSUMS = "SHA256SUMS"


def main(argv: list[str] | None = None) -> int:
    cli_danish.install_argparse()
    parser = argparse.ArgumentParser(
        description="Hent en model til legepladsen (fortsætter efter afbrydelse, kontrollerer sha256).",
        epilog="Katalog: " + ", ".join(catalog.names()) + ". Detaljer: models/README.md.",
    )
    parser.add_argument("name", nargs="?", metavar="NAVN", help="model fra kataloget")
    parser.add_argument("--url", help="adresse på en anden .gguf-fil")
    parser.add_argument("--sha256", metavar="HEX", help="forventet sha256 for --url (stærkt anbefalet)")
    parser.add_argument(
        "--dest", type=Path, default=None, metavar="MAPPE", help="standard: models/ (eller $LEGEPLADS_MODELS_DIR)"
    )
    parser.add_argument("--list", action="store_true", help="vis kataloget, og hvad der er hentet")
    args = parser.parse_args(argv)

    try:
        if args.list:
            print_catalog(args.dest)
            return 0
        if bool(args.name) == bool(args.url):
            parser.error("angiv enten et NAVN fra kataloget eller --url URL")
        if args.sha256 and not args.url:
            parser.error("--sha256 hører til --url; katalogets modeller har deres egen kontrol")
        if args.name:
            entry = catalog.get(args.name)
            print(f"Henter {entry.title} ({entry.size_label}, licens: {entry.licence}) fra {entry.page_url}")
            source = from_catalog(entry)
        else:
            source = from_url(args.url, args.sha256)
            print(f"Henter {source.url}")
        result = download(source, args.dest or models_dir(), say=print)
    except UserError as error:
        print(f"Fejl: {error.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nAfbrudt. Kør samme kommando igen for at fortsætte, hvor den slap.", file=sys.stderr)
        return 130
    record_checksum(result)
    report(result)
    return 0


def report(result: Downloaded) -> None:
    state = "findes allerede" if result.already_present else "er hentet"
    print(f"{result.path.name} {state}: {result.path}")
    if result.verified_by:
        print(f"sha256 {result.sha256} (kontrolleret mod {result.verified_by})")
    else:
        print(f"sha256 {result.sha256}")
        print(
            "ADVARSEL: der var ingen kendt kontrolsum at sammenligne med. Sammenlign værdien med "
            "udgiverens, før modellen tages i brug.",
            file=sys.stderr,
        )
    print(f"Notér kontrolsummen; den står også i {result.path.parent / CHECKSUMS}.")
    print("Start legepladsen: legeplads serve  (den bruger første .gguf-fil i models/)")


def record_checksum(result: Downloaded) -> None:
    """Keep a ``sha256sum -c``-compatible record next to the models."""
    record = result.path.parent / CHECKSUMS
    lines = record.read_text().splitlines() if record.exists() else []
    lines = [line for line in lines if not line.endswith(f"  {result.path.name}")]
    lines.append(f"{result.sha256}  {result.path.name}")
    record.write_text("\n".join(lines) + "\n")


def print_catalog(dest: Path) -> None:
    for entry in catalog.CATALOG:
        print(catalog.summary_line(entry, dest))

if __name__ == "__main__":
    sys.exit(main())
