"""How fast the compliance log is: append, pre-flight check, verify, review, export, purge.

Run: ``.venv/bin/python benchmarks/log.py [ENTRIES]`` (default 100,000).
Targets from issue 4: append p95 < 5 ms, verify 100,000 entries < 5 s.
Everything runs on a real SQLite file in a temporary folder. The entries are
the ones the app writes today: one real call through the pipeline (demo model,
real guard) gives the template, which is varied per entry.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sandbox.audit import AuditLog, LogEntry
from sandbox.backends.base import GenerationParams
from sandbox.pipeline import Pipeline, Request, Session, new_pseudonym

TIMED_APPENDS = 2_000
SESSIONS = 50
# A case-work prompt of about 1 kB with the personal data a caseworker pastes in.
PROMPT = (
    "Skriv et venligt svar til Mette Kirstine Sørensen, cpr-nr. 150385-1234, Vestergade 12B, 2. th., "
    "8000 Aarhus C, tlf. 23 45 67 89, mette.sorensen@example.dk, om ansøgningen om ældrebolig. Hun har "
    "diabetes. Forklar reglerne for boligstøtte, hvilke dokumenter vi mangler, og hvornår borgeren kan "
    "forvente en afgørelse. " + "Husk at nævne klagevejledningen og vores telefontid. " * 12
)


def template_entry(pipeline: Pipeline) -> LogEntry:
    """The entry the app writes today for a realistic prompt: the real guard, the real model, the real pipeline.

    Entity types, placeholders, recognizer names, art. 9 warnings and the
    guard's configuration hash all come from the code that writes the log,
    so the benchmark measures what is really stored.
    """
    pipeline.ask(Request(PROMPT, GenerationParams(max_tokens=200, seed=1)), Session())
    [row] = pipeline.log.entries(limit=1)
    return LogEntry(**{name: row[name] for name in LogEntry.__dataclass_fields__})


def realistic_entry(template: LogEntry, i: int, sessions: list[str]) -> LogEntry:
    """Entry ``i``: the template with its own case number, session, exercise and seed."""
    prompt = f"Sag {i}: {template.prompt}"
    return replace(
        template,
        session=sessions[i % len(sessions)],
        exercise_id=("brev-1", "journal-2", None)[i % 3],
        params={**template.params, "seed": 1000 + i},
        messages=[*template.messages[:-1], {"role": "user", "content": prompt}],
        prompt=prompt,
        latency_ms=2400.0 + i % 500,
    )


def percentile(samples: list[float], p: float) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[int(p) - 1]


def timed(action: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def main(total: int) -> None:
    with tempfile.TemporaryDirectory(prefix="legeplads-bench-") as folder:
        run(Path(folder), total)


def run(folder: Path, total: int) -> None:
    pipeline = Pipeline.open(log_path=folder / "template.sqlite3")
    try:
        template = template_entry(pipeline)
    finally:
        pipeline.close()
    types = ", ".join(f"{row['type']} ({row['count']})" for row in template.entities)
    print(f"entry as the app writes it: {len(template.prompt):,} characters, found {types}")
    sessions = [new_pseudonym() for _ in range(SESSIONS)]
    # One simulated minute per entry, ending now, so retention has old entries to purge.
    moment = [datetime.now(UTC) - timedelta(minutes=total)]
    log = AuditLog(folder / "log.sqlite3", clock=lambda: moment[0])

    def append(i: int) -> None:
        moment[0] += timedelta(minutes=1)
        log.append(realistic_entry(template, i, sessions))

    appends, checks = [], []
    for i in range(TIMED_APPENDS):
        checks.append(timed(log.check_writable)[0] * 1000)
        appends.append(timed(lambda i=i: append(i))[0] * 1000)
    fill, _ = timed(lambda: [append(i) for i in range(TIMED_APPENDS, total)])
    size_mb = sum(p.stat().st_size for p in folder.glob("log.sqlite3*")) / 1e6

    print(f"compliance log benchmark: {total:,} entries, {size_mb:,.0f} MB on disk")
    p95 = percentile(appends, 95)
    print(f"append           p50 {statistics.median(appends):6.3f} ms   p95 {p95:6.3f} ms   "
          f"max {max(appends):6.2f} ms   (target p95 < 5 ms: {'ok' if p95 < 5 else 'MISSED'})")
    print(f"check_writable   p50 {statistics.median(checks):6.3f} ms   p95 {percentile(checks, 95):6.3f} ms")
    print(f"append rate      {(total - TIMED_APPENDS) / fill:8,.0f} entries/s while filling")

    seconds, result = timed(log.verify)
    assert result.ok and result.checked == total, result
    print(f"verify           {seconds:6.2f} s for {result.checked:,} entries   "
          f"(target < 5 s for 100,000: {'ok' if seconds * 100_000 / total < 5 else 'MISSED'})")

    for label, action in (
        ("entries(50)", lambda: log.entries(limit=50)),
        ("entries(type)", lambda: log.entries(entity_type="CPR", limit=50)),
        ("counts_per_type", log.counts_per_type),
        ("counts_per_day", log.counts_per_day),
    ):
        seconds, _ = timed(action)
        print(f"{label:16} {seconds * 1000:8.1f} ms")

    for fmt in ("csv", "jsonl"):
        target = folder / f"export.{fmt}"
        with target.open("wb") as out:
            seconds, count = timed(lambda fmt=fmt, out=out: log.export(fmt, out))
        print(f"export {fmt:9} {seconds:6.2f} s for {count:,} entries ({target.stat().st_size / 1e6:,.0f} MB)")

    seconds, purged = timed(lambda: log.purge(timedelta(minutes=total // 2)))
    print(f"purge            {seconds:6.2f} s for {purged:,} entries")
    seconds, result = timed(log.verify)
    assert result.ok, result
    print(f"verify (purged)  {seconds:6.2f} s")
    log.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("total", nargs="?", type=int, default=100_000, help="entries to append and verify")
    main(parser.parse_args().total)
