"""How fast the compliance log is: append, pre-flight check, verify, review, export, purge.

Run: ``.venv/bin/python benchmarks/log.py [ENTRIES]`` (default 100,000).
Targets from issue 4: append p95 < 5 ms, verify 100,000 entries < 5 s.
Everything runs on a real SQLite file in a temporary folder.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sandbox.audit import AuditLog, LogEntry

TIMED_APPENDS = 2_000


def realistic_entry(i: int) -> LogEntry:
    """A redacted case-work prompt of about 1 kB and a masked answer of about 1 kB."""
    prompt = (
        f"Sag {i}: Skriv et venligt svar til <PERSON_1> (CPR <CPR_NUMBER_1>) om ansøgningen om "
        "ældrebolig. Forklar reglerne for boligstøtte, hvilke dokumenter vi mangler, og hvornår "
        "borgeren kan forvente en afgørelse. " * 4
    )
    return LogEntry(
        session=f"s-{i % 50:08x}",
        exercise_id=("brev-1", "journal-2", None)[i % 3],
        model_name="gemma-3-270m-it",
        model_sha256="3f2a9c1d0b7e",
        backend="llama.cpp",
        params={"temperature": 0.7, "top_p": 0.95, "top_k": 40, "repeat_penalty": 1.1,
                "max_tokens": 256, "seed": 1000 + i, "top_logprobs": 0},
        messages=[{"role": "system", "content": "Du er en hjælpsom assistent i en kommune."},
                  {"role": "user", "content": prompt}],
        prompt=prompt,
        entities=[
            {"type": "PERSON", "count": 1, "max_score": 0.85, "min_score": 0.85,
             "recognizers": ["SpacyRecognizer"], "action": "redact"},
            {"type": "CPR_NUMBER", "count": 1, "max_score": 1.0, "min_score": 1.0,
             "recognizers": ["DaCprRecognizer"], "action": "redact"},
        ],
        warnings=[{"category": "helbred", "count": 1}] if i % 10 == 0 else [],
        decision="redacted",
        output_findings=[],
        response="Kære <PERSON_1>. Tak for din ansøgning om ældrebolig. " * 15,
        prompt_tokens=240,
        completion_tokens=180,
        finish_reason="stop",
        latency_ms=2400.0 + i % 500,
        error=None,
        guard_config="a1b2c3d4e5f6",
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
    # One simulated minute per entry, ending now, so retention has old entries to purge.
    moment = [datetime.now(UTC) - timedelta(minutes=total)]
    log = AuditLog(folder / "log.sqlite3", clock=lambda: moment[0])

    def append(i: int) -> None:
        moment[0] += timedelta(minutes=1)
        log.append(realistic_entry(i))

    appends, checks = [], []
    for i in range(TIMED_APPENDS):
        checks.append(timed(log.check_writable)[0] * 1000)
        appends.append(timed(lambda i=i: append(i))[0] * 1000)
    fill, _ = timed(lambda: [append(i) for i in range(TIMED_APPENDS, total)])
    size_mb = sum(p.stat().st_size for p in folder.iterdir()) / 1e6

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
        ("entries(type)", lambda: log.entries(entity_type="CPR_NUMBER", limit=50)),
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
