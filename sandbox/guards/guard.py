"""The guard: find personal data, apply the policy, put placeholders in, and fail closed.

Presidio's ``AnalyzerEngine`` runs the Danish recognizers over the spaCy
pipeline from :mod:`.engine`. Everything around it is here: the checks on
the input, the timeout, the choice between overlapping findings, the policy,
the placeholders and the special-category warnings. Any failure inside the
analysis becomes a :class:`GuardError`, so a prompt that could not be checked
is never sent.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from bisect import bisect_left
from dataclasses import dataclass
from pathlib import Path

from presidio_analyzer import AnalyzerEngine, RecognizerRegistry, RecognizerResult

from sandbox.errors import GuardError, UserError
from sandbox.guards import lexicon
from sandbox.guards.art9 import TERMS, find_special_categories
from sandbox.guards.context import IndexedLemmaContextEnhancer
from sandbox.guards.engine import LANGUAGE, DanishNlpEngine, Pipelines, load_pipeline
from sandbox.guards.mentions import other_mentions, same_person
from sandbox.guards.normalise import Normalised, normalise
from sandbox.guards.policy import GuardPolicy
from sandbox.guards.recognizers import danish_recognizers
from sandbox.guards.redaction import PLACEHOLDER_SHAPED, Vault, replace_spans
from sandbox.guards.result import ENTITY_TYPES, Art9Warning, Entity, GuardResult
from sandbox.numbers import thousands

log = logging.getLogger(__name__)

GUARD_VERSION = "1"
SCORE_THRESHOLD = 0.5
CONTEXT_PREFIX_WORDS = 5
CONTEXT_BOOST = 0.35
CONTEXT_MIN_SCORE = 0.4
# About 400 pages; a megabyte takes a few seconds (see benchmarks/guard.py).
# Beyond this the answer is a clear message, not a long wait.
MAX_CHARS = 1_200_000
# The time limit is per this many characters, so a long document is not cut
# off by a limit meant to catch a stuck analysis of a prompt.
TIMEOUT_CHARS = 100_000

# When two findings of different types cover the same characters with the
# same score and length, the more specific type wins.
TYPE_PRIORITY = {
    t: n
    for n, t in enumerate(
        ("CPR", "IBAN", "EMAIL", "CVR", "BANKKONTO", "TELEFON", "NUMMERPLADE", "FØDSELSDATO", "ADRESSE", "PERSON")
    )
}
MENTION = "Omtale"  # the recognizer name of a repeated mention (see :mod:`.mentions`)


@dataclass(frozen=True)
class Finding:
    type: str
    start: int
    end: int
    score: float
    recognizer: str
    explanation: str

    @property
    def rank(self) -> tuple[float, int, int]:
        return (self.score, self.end - self.start, -TYPE_PRIORITY[self.type])


def resolve_overlaps(findings: list[Finding]) -> list[Finding]:
    """Non-overlapping findings, in text order. Linear after sorting.

    A finding inside a longer one is dropped whatever its type (the CVR
    digits inside "+45 12 34 56 78", the name inside "Peter Bangs Vej 14");
    of two on the same span the stronger stays. Findings that partly overlap
    are merged into one span covering both, typed by the stronger one, so no
    character of either leaks.
    """
    kept: list[Finding] = []
    widest: Finding | None = None  # the kept finding reaching furthest right so far
    for finding in sorted(findings, key=lambda f: (f.start, -f.end, -f.score, TYPE_PRIORITY[f.type])):
        if widest is not None and widest.end >= finding.end:
            continue  # contained in (or equal to) a finding already kept
        kept.append(finding)
        widest = finding
    merged: list[Finding] = []
    for finding in kept:
        if merged and finding.start < merged[-1].end:
            previous = merged[-1]
            winner = max(previous, finding, key=lambda f: f.rank)
            merged[-1] = Finding(
                winner.type, previous.start, finding.end, winner.score, winner.recognizer, winner.explanation
            )
        else:
            merged.append(finding)
    return merged


_SPACES = re.compile(r"[ \t\u00a0]+")


def join_names(text: str, findings: list[Finding]) -> list[Finding]:
    """Adjacent person findings with only spaces between them, as one person.

    Recognizers can find "jens peter" and "hansen" apart (a first-name cue
    and a surname lexicon); as two findings they become two placeholders,
    "[PERSON_2] [PERSON_3]", and the model reads two people. Two different
    people written side by side with nothing between them are rare, and
    joining them still masks every word. A line break is not joined: lists
    of names put one person on each line.
    """
    joined: list[Finding] = []
    for finding in findings:
        previous = joined[-1] if joined else None
        if (
            previous is not None
            and previous.type == finding.type == "PERSON"
            and _SPACES.fullmatch(text[previous.end : finding.start])
        ):
            winner = max(previous, finding, key=lambda f: f.rank)
            joined[-1] = Finding(
                "PERSON", previous.start, finding.end, winner.score, winner.recognizer, winner.explanation
            )
        else:
            joined.append(finding)
    return joined


def _one_per_person(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Spans in text order, where two with the same placeholder and only spaces between become one.

    A repeated name is found again word by word ("jens peter" later in a
    note whose "jens peter hansen" was found): the model should read
    "[PERSON_1]", not "[PERSON_1] [PERSON_1]".
    """
    joined: list[tuple[int, int, str]] = []
    for start, end, placeholder in spans:
        if joined and joined[-1][2] == placeholder and _SPACES.fullmatch(text[joined[-1][1] : start]):
            joined[-1] = (joined[-1][0], end, placeholder)
        else:
            joined.append((start, end, placeholder))
    return joined


def _with_other_mentions(text: str, findings: list[Finding]) -> tuple[list[Finding], list[int | None]]:
    """``findings`` plus every other mention of a person among them, in text order.

    The second list gives, per finding, the index of the finding it repeats
    (or None), so a mention gets its person's placeholder.
    """
    persons = [i for i, f in enumerate(findings) if f.type == "PERSON"]
    spans = [(findings[i].start, findings[i].end) for i in persons]
    mentions = other_mentions(text, spans, [(f.start, f.end) for f in findings])
    repeated = {persons[k]: persons[v] for k, v in same_person(text, spans).items()}
    if not mentions and not repeated:
        return findings, [None] * len(findings)
    combined: list[tuple[Finding, int | None]] = [(f, repeated.get(i)) for i, f in enumerate(findings)]
    for mention in mentions:
        source = findings[persons[mention.source]]
        why = f"samme navn som et fundet navn ({source.explanation})"
        combined.append(
            (Finding("PERSON", mention.start, mention.end, source.score, MENTION, why), persons[mention.source])
        )
    combined.sort(key=lambda pair: pair[0].start)
    position = {id(f): n for n, (f, _) in enumerate(combined)}
    ordered = [f for f, _ in combined]
    sources = [None if s is None else position[id(findings[s])] for _, s in combined]
    return ordered, sources


def _root(sources: list[int | None], k: int) -> int:
    """The finding that ``k`` repeats, following repeats of repeats ("Bjerre" → "Søren Bjerre")."""
    seen = {k}
    while (source := sources[k]) is not None and source not in seen:
        seen.add(source)
        k = source
    return k


def _finding(result: RecognizerResult) -> Finding:
    explanation = result.analysis_explanation
    why = "; ".join(line for line in (explanation.textual_explanation or "").splitlines() if line)
    if explanation.supportive_context_word:
        why += f" + '{explanation.supportive_context_word}' i konteksten"
    recognizer = result.recognition_metadata.get(RecognizerResult.RECOGNIZER_NAME_KEY, explanation.recognizer)
    return Finding(result.entity_type, result.start, result.end, round(result.score, 2), recognizer, why)


def _source_fingerprint() -> str:
    """sha256 over the guard's own source files: a changed rule is a changed configuration."""
    digest = hashlib.sha256()
    package = Path(__file__).parent
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


_SURROGATE = re.compile(r"[\ud800-\udfff]")
_PUNCTUATION_RUN = re.compile(r"[^\w\s]{20,}")


def _valid_unicode(text: str) -> str:
    """``text`` with lone surrogates (undecodable bytes) replaced by U+FFFD, one for one.

    Nothing downstream (spaCy, the log, JSON) can encode them, and replacing
    one character by one keeps every offset valid.
    """
    return _SURROGATE.sub("\ufffd", text)


def _analysis_text(text: str, vault: Vault) -> str:
    """What the recognizers read: the vault's own placeholders blanked out. Same length as ``text``.

    A placeholder this session's vault issued ("[PERSON_1]") must never be
    flagged. Anything else dressed as one ("[CPR_1503851234]", or a
    "[PERSON_1]" the user typed) is no placeholder: its wrapper is blanked
    so the value inside is analysed like all text, and the vault never
    issues that placeholder, so the user's and the vault's cannot be confused.
    """

    def blank(match: re.Match[str]) -> str:
        whole = match.group(0)
        if vault.knows(whole):
            return " " * len(whole)
        vault.reserve(whole)
        return " " * len(match.group(1)) + match.group(2) + " "

    # spaCy's tokenizer takes quadratic time on a long run of brackets or "!?" and
    # holds the interpreter while it does (20,000 "[" took 95 s, stalling every
    # session): such runs carry no personal data and are read as spaces.
    return _PUNCTUATION_RUN.sub(lambda m: " " * len(m.group(0)), PLACEHOLDER_SHAPED.sub(blank, text))


class Guard:
    """Loads the NLP engine once; ``check``, ``check_output`` and ``preview`` are thread-safe.

    ``timeout_s`` is the time one analysis may take per 100,000 characters
    (a 2,000-character prompt takes milliseconds). ``model`` names a spaCy
    pipeline to use instead of the automatic choice (see :mod:`.engine`).
    """

    def __init__(
        self, policy: GuardPolicy | None = None, timeout_s: float = 10.0, *, model: str | Path | None = None
    ) -> None:
        if not isinstance(timeout_s, (int, float)) or isinstance(timeout_s, bool) or timeout_s <= 0:
            raise UserError(f"Værnets tidsgrænse skal være et positivt antal sekunder (fik {timeout_s!r}).")
        if policy is not None and not isinstance(policy, GuardPolicy):
            raise UserError(f"Værnets politik skal være en GuardPolicy (fik {type(policy).__name__}).")
        self.policy = policy or GuardPolicy()
        self.timeout_s = float(timeout_s)
        try:
            pipeline = load_pipeline(model)
            self._pipelines = Pipelines(pipeline)
            self._nlp_engine = DanishNlpEngine(pipeline)
            self._recognizers = danish_recognizers(with_ner=pipeline.has_ner)
            self._analyzer = AnalyzerEngine(
                registry=RecognizerRegistry(recognizers=self._recognizers, supported_languages=[LANGUAGE]),
                nlp_engine=self._nlp_engine,
                supported_languages=[LANGUAGE],
                default_score_threshold=SCORE_THRESHOLD,
                context_aware_enhancer=IndexedLemmaContextEnhancer(
                    context_similarity_factor=CONTEXT_BOOST,
                    min_score_with_context_similarity=CONTEXT_MIN_SCORE,
                    context_prefix_count=CONTEXT_PREFIX_WORDS,
                    context_suffix_count=0,
                ),
            )
        except (OSError, ValueError, ImportError) as error:
            raise GuardError(
                f"Værnet mod personoplysninger kunne ikke starte ({type(error).__name__}), så intet kan sendes."
            ) from error
        self.nlp_model = pipeline.name
        self.config_hash = self._config_hash()
        # Compile every pattern now rather than racing to do it in concurrent first calls.
        self._analyze("Mette Hansen, tlf. 12 34 56 78, Vestergade 1, 8000 Aarhus C.")

    def check(self, text: str, vault: Vault) -> GuardResult:
        """Input side: find, apply the policy, and replace with the vault's placeholders."""
        return self._run(text, vault)

    def check_output(self, text: str, vault: Vault) -> GuardResult:
        """Output side: the same detection on the model's answer.

        Models invent CPR numbers and names; whatever looks real is masked and
        reported like input. Our own placeholders ("[PERSON_1]") are never
        flagged, and a value the user already gave keeps its placeholder.
        """
        return self._run(text, vault)

    def preview(self, text: str, vault: Vault) -> GuardResult:
        """What the model would see, without adding anything to the session's vault."""
        return self._run(text, vault.copy())

    def _run(self, text: str, vault: Vault) -> GuardResult:
        if not isinstance(text, str):
            raise GuardError(f"Værnet kan kun kontrollere tekst, ikke {type(text).__name__}.")
        if len(text) > MAX_CHARS:
            raise GuardError(
                f"Teksten er for lang til at blive kontrolleret: {thousands(len(text))} tegn "
                f"(højst {thousands(MAX_CHARS)}). Del den op i mindre stykker."
            )
        text = _valid_unicode(text)
        if not text.strip():
            return GuardResult(text=text, entities=(), warnings=(), decision="sent")
        folded = normalise(text)
        analysed = _analysis_text(folded.text, vault)
        findings = join_names(folded.text, resolve_overlaps([_finding(r) for r in self._analyze(analysed)]))
        findings, sources = _with_other_mentions(analysed, findings)
        roots = [_root(sources, k) for k in range(len(findings))]
        built: dict[int, Entity] = {}
        # Names first, then their other mentions, which take the name's placeholder.
        for k in sorted(range(len(findings)), key=lambda k: roots[k] != k):
            same_as = built[roots[k]].placeholder if roots[k] != k else None
            built[k] = self._entity(text, folded, findings[k], vault, same_as)
        entities = [built[k] for k in range(len(findings))]
        spans = [(f.start, f.end) for f in findings]
        starts = [s for s, _ in spans]  # findings do not overlap, so their ends are sorted too
        warnings = tuple(
            Art9Warning(w.category, *folded.original_span(w.start, w.end), w.term)
            for w in find_special_categories(analysed)
            if (i := bisect_left(starts, w.end) - 1) < 0 or spans[i][1] <= w.start
        )
        # The model gets the folded text: exactly what the recognizers read.
        redacted = replace_spans(
            folded.text,
            _one_per_person(
                folded.text,
                [(f.start, f.end, e.placeholder) for f, e in zip(findings, entities, strict=True) if e.placeholder],
            ),
        )
        actions = {e.action for e in entities}
        decision = "blocked" if "block" in actions else "redacted" if "redact" in actions else "sent"
        return GuardResult(text=redacted, entities=tuple(entities), warnings=warnings, decision=decision)

    def _entity(self, text: str, folded: Normalised, finding: Finding, vault: Vault, same_as: str | None) -> Entity:
        """The finding in the user's own offsets, with its placeholder (a repeated mention shares its person's)."""
        start, end = folded.original_span(finding.start, finding.end)
        action = self.policy.action_for(finding.type)
        value = text[start:end]
        if action == "allow":
            placeholder = None
        elif same_as is not None:
            placeholder = vault.alias(finding.type, value, same_as)
        else:
            placeholder = vault.placeholder(finding.type, value)
        return Entity(
            type=finding.type,
            start=start,
            end=end,
            score=finding.score,
            recognizer=finding.recognizer,
            explanation=finding.explanation,
            action=action,
            placeholder=placeholder,
        )

    def _analyze(self, text: str) -> list[RecognizerResult]:
        """Presidio's analysis in a worker thread, so a stuck analysis can be abandoned (fail closed)."""
        outcome: dict[str, object] = {}
        done, abandoned = threading.Event(), threading.Event()
        limit = self.timeout_s * max(1.0, len(text) / TIMEOUT_CHARS)

        def work() -> None:
            try:
                with self._pipelines.lent(limit) as nlp:
                    if abandoned.is_set():  # the caller stopped waiting for a pipeline: nobody reads this
                        return
                    outcome["results"] = self._analyzer.analyze(
                        text=text,
                        language=LANGUAGE,
                        nlp_artifacts=self._nlp_engine.artifacts(nlp, text),
                        return_decision_process=True,
                    )
            except BaseException as error:  # noqa: BLE001 - every failure must fail closed
                # Its frames hold the analysis's spaCy objects, whose strings the zone has freed.
                outcome["error"] = error.with_traceback(None)
            finally:
                done.set()

        threading.Thread(target=work, name="legeplads-guard", daemon=True).start()
        if not done.wait(limit):
            abandoned.set()
            log.warning("guard analysis timed out after %.1f s", limit)
            raise GuardError(
                f"Kontrollen for personoplysninger tog mere end {limit:g} sekunder, "
                "så teksten blev ikke sendt. Prøv med en kortere tekst."
            )
        error = outcome.get("error")
        if error is not None:
            # The exception's message may quote the text; log only its type.
            log.warning("guard analysis failed: %s", type(error).__name__)
            raise GuardError(
                f"Kontrollen for personoplysninger fejlede ({type(error).__name__}), så teksten blev ikke sendt. "
                "Prøv igen, og kontakt den IT-ansvarlige, hvis det sker igen."
            ) from error  # type: ignore[misc]
        return outcome["results"]  # type: ignore[return-value]

    def _config_hash(self) -> str:
        recognizers = [
            {
                "name": r.name,
                "version": r.version,
                "entities": r.supported_entities,
                "context": r.context,
                "patterns": [[p.name, p.regex, p.score] for p in getattr(r, "patterns", [])],
            }
            for r in self._recognizers
        ]
        config = {
            "guard_version": GUARD_VERSION,
            "policy": self.policy.as_dict(),
            "nlp_model": self.nlp_model,
            "score_threshold": SCORE_THRESHOLD,
            "context": [CONTEXT_PREFIX_WORDS, CONTEXT_BOOST, CONTEXT_MIN_SCORE],
            "max_chars": MAX_CHARS,
            "timeout": [self.timeout_s, TIMEOUT_CHARS],
            "recognizers": sorted(recognizers, key=lambda r: r["name"]),
            "data": lexicon.fingerprint(),
            "code": _source_fingerprint(),
            "art9": TERMS,
            "types": ENTITY_TYPES,
        }
        return hashlib.sha256(json.dumps(config, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
