"""Hostile input for the fuzz tests: hypothesis strategies and the committed corpus.

Shared by ``tests/test_fuzz.py`` (in-process targets) and
``tests/test_fuzz_cli.py`` (the real ``legeplads`` process). Every input that
ever broke a target is kept twice: as an ``@example`` on the test that found
it, and in ``tests/data/fuzz/corpus.jsonl``, which a plain test replays.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

CORPUS = Path(__file__).parent / "data" / "fuzz" / "corpus.jsonl"

# derandomize: CI runs the same examples every time, so a red run can be repeated. No example
# database: what failed once is kept in the code (@example) and the corpus, not in a local
# folder. No shrinking: on these targets it can take many minutes; the failing input is
# printed as found.
_COMMON = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "phases": [Phase.explicit, Phase.generate],
    "suppress_health_check": [HealthCheck.too_slow],
}
IN_PROCESS = settings(max_examples=60, **_COMMON)
SUBPROCESS = settings(max_examples=10, **_COMMON)

# A message the CLI prints for a bug (sandbox.cli.UNEXPECTED): a fuzz input must never get it.
BUG_MARKER = "uventet fejl"

SPECIAL = [
    "\u200f", "\u200e", "\u202e", "\u202c", "\u2066", "\u2069", "\u061c",  # direction marks and isolates
    "\u0301", "\u0308", "\u030a", "\u0338", "\u20dd",  # combining marks
    "\u200b", "\u200d", "\ufeff", "\u00ad", "\u2028", "\u2029", "\u0085",  # invisible and line breaks
    "\x00", "\x07", "\x1b", "\r", "\t", "\x7f", "\x9b",  # controls
    "\ud800", "\udfff", "\udcff",  # lone surrogates (what undecodable bytes become)
    "\U0001f600", "\U0001f1e9\U0001f1f0", "\U000e0041", "\U0010ffff", "\ufffd", "\uffff",  # other planes
    "æ", "ø", "å", "Æ", "Ø", "Å", "ß", "ı", "İ", "ﬁ", "Ⅻ", "١٢٣", "٫",  # letters and digits that fold
    "[", "]", "{", "}", '"', "\\", "_", "-", "/", ".", ",", ":", "@", "+", " ", "\n",
    "[PERSON_1]", "[CPR_99]", "PERSON_", "Mette", "Hansen", "cpr", "tlf.", "010190-1235", "22 33 44 55",
]

# All of Unicode, surrogates and control characters included.
any_char = st.characters(codec=None, exclude_categories=())
tricky_text = st.lists(st.one_of(st.sampled_from(SPECIAL), any_char), max_size=60).map("".join)
# Sizes just past Python's limits (4,300 digits, ~1,000 levels); the examples hold the giants.
# Brackets stay short as text: spaCy's tokenizer takes quadratic time on a run of them, holding
# the GIL, so the guard's own time limit cannot stop it (reported; 20,000 take over a minute).
huge_number = st.integers(min_value=4_000, max_value=6_000).map(lambda n: "9" * n)
deep_nesting = st.integers(min_value=500, max_value=1_500).map(lambda n: "[" * n + "]" * n)

text = st.one_of(
    st.text(any_char, max_size=200),
    tricky_text,
    st.tuples(tricky_text, tricky_text).map(lambda ab: f"{ab[0]} Mette Hansen, cpr 010190-1235. {ab[1]}"),
    huge_number,
    deep_nesting,
)

# A CPR number put where the guard must find it: isolated on its own line with its label. Random
# text may hold the number elsewhere too, glued to other characters, where no rule calls it a CPR
# number; the labelled one must always be masked.
SECRET = "010190-1235"
LABELLED = f"cpr-nr. {SECRET}"


def with_secret(prefix: str, suffix: str) -> str:
    return f"{prefix}\nBorgeren har cpr-nr. {SECRET}.\n{suffix}"


secret_text = st.tuples(tricky_text, tricky_text).map(lambda ab: with_secret(*ab))


def utf8(value: str) -> bytes:
    """The bytes of ``value``; lone surrogates become the invalid UTF-8 a broken file would hold."""
    return value.encode("utf-8", "surrogatepass")


stdin_bytes = st.one_of(text.map(utf8), st.binary(max_size=300))

def _containers(inner: st.SearchStrategy) -> st.SearchStrategy:
    return st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)


json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(any_char, max_size=20),
    _containers,
    max_leaves=12,
)


@st.composite
def jsonl_line(draw: st.DrawFn) -> bytes:
    """One line of ``redact --jsonl`` input: good, oddly escaped, of the wrong shape, or not JSON at all."""
    kind = draw(st.sampled_from(["good", "ascii", "extra", "wrong-shape", "huge-number", "deep", "junk"]))
    value = draw(text)
    if kind == "good":
        return utf8(json.dumps({"text": value}, ensure_ascii=False))
    if kind == "ascii":  # lone surrogates written as \ud800 escapes
        return json.dumps({"text": value}).encode()
    if kind == "extra":
        return utf8(json.dumps({"text": value, "x": draw(json_value)}, ensure_ascii=False, allow_nan=True))
    if kind == "wrong-shape":
        return utf8(json.dumps(draw(json_value), ensure_ascii=False))
    if kind == "huge-number":
        return b'{"text": "tal", "n": ' + draw(huge_number).encode() + b"}"
    if kind == "deep":
        return b'{"text": "dybt", "x": ' + draw(deep_nesting).encode() + b"}"
    return utf8(value).replace(b"\n", b" ")


jsonl_input = st.lists(jsonl_line(), min_size=1, max_size=4).map(lambda lines: b"\n".join(lines) + b"\n")


@dataclass(frozen=True)
class Case:
    """One corpus entry: a target, its input, and whether it must succeed or fail in Danish."""

    target: str
    data: bytes
    outcome: str
    """``ok`` or ``error``."""
    message: str | None
    """Part of the Danish message an ``error`` must show."""
    note: str

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", "surrogatepass")


def corpus() -> list[Case]:
    """The committed corpus; an entry's input is ``text``, ``base64`` bytes, or ``repeat`` × ``times``."""
    cases = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        entry = json.loads(line)
        if "base64" in entry:
            data = base64.b64decode(entry["base64"])
        elif "repeat" in entry:
            data = utf8(entry["repeat"] * entry["times"])
        else:
            data = utf8(entry["text"])
        cases.append(Case(entry["target"], data, entry["outcome"], entry.get("message"), entry["note"]))
    return cases
