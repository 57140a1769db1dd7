"""What the Danish pattern recognizers share: Danish explanations and label-aware scoring."""

from __future__ import annotations

from typing import ClassVar

import regex
from presidio_analyzer import AnalysisExplanation, Pattern, PatternRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from sandbox.guards.recognizers.labels import label_before

LANGUAGE = "da"
LABEL_BOOST = 0.35
LABELLED_SCORE = 0.85
FOREIGN_LABEL_PENALTY = 0.3


class DanishPatternRecognizer(PatternRecognizer):
    """A Presidio ``PatternRecognizer`` with Danish explanations and field-label scoring.

    Subclasses declare ``ENTITY``, ``PATTERNS`` as (name, regex, score),
    ``CONTEXT`` words for Presidio's context enhancer, ``EXPLANATIONS`` per
    pattern name, and which field labels (see :mod:`.labels`) are their own
    or point elsewhere. A nearest label of their own kind raises the score;
    a foreign one lowers it; a reference label ("sagsnr.", "faktura") drops
    the match when ``DROP_AFTER_REFERENCE`` is set, else lowers it. Patterns are case-sensitive unless they
    say ``(?i)``.
    """

    ENTITY: ClassVar[str]
    VERSION: ClassVar[str] = "1.0.0"
    PATTERNS: ClassVar[tuple[tuple[str, str, float], ...]]
    CONTEXT: ClassVar[tuple[str, ...]] = ()
    EXPLANATIONS: ClassVar[dict[str, str]]
    OWN_LABELS: ClassVar[frozenset[str]] = frozenset()
    FOREIGN_LABELS: ClassVar[frozenset[str]] = frozenset()
    DROP_AFTER_REFERENCE: ClassVar[bool] = True
    USES_LABELS: ClassVar[bool] = True

    def __init__(self) -> None:
        super().__init__(
            supported_entity=self.ENTITY,
            supported_language=LANGUAGE,
            patterns=[Pattern(name, rx, score) for name, rx, score in self.PATTERNS],
            context=list(self.CONTEXT),
            global_regex_flags=regex.MULTILINE,
            version=self.VERSION,
        )

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        return self.refine(text, super().analyze(text, entities, nlp_artifacts, regex_flags))

    def refine(self, text: str, results: list[RecognizerResult]) -> list[RecognizerResult]:
        """This type's own checks on the pattern matches (a date, check digits, a label); none by default."""
        return results

    def build_regex_explanation(  # type: ignore[override]
        self,
        recognizer_name: str,
        pattern_name: str,
        pattern: str,
        original_score: float,
        validation_result: bool,
        regex_flags: int,
    ) -> AnalysisExplanation:
        return AnalysisExplanation(
            recognizer=recognizer_name,
            original_score=original_score,
            pattern_name=pattern_name,
            pattern=pattern,
            validation_result=validation_result,
            regex_flags=regex_flags,
            textual_explanation=self.EXPLANATIONS[pattern_name],
        )

    def enhance_using_context(
        self,
        text: str,
        raw_recognizer_results: list[RecognizerResult],
        other_raw_recognizer_results: list[RecognizerResult],
        nlp_artifacts: NlpArtifacts,
        context: list[str] | None = None,
    ) -> list[RecognizerResult]:
        if not self.USES_LABELS:
            return raw_recognizer_results
        for result in raw_recognizer_results:
            found = label_before(text, result.start)
            if found is None:
                continue  # Presidio's context enhancer may still find a context word
            kind, label = found
            explanation = result.analysis_explanation
            if kind in self.OWN_LABELS:
                # A strong candidate with its own label is near certain; a weak one
                # (a CVR failing modulus 11) only gets over the threshold.
                boosted = result.score + LABEL_BOOST
                result.score = min(1.0, max(boosted, LABELLED_SCORE) if result.score >= 0.35 else boosted)
                explanation.set_supportive_context_word(label)
            elif kind == "REFERENCE" and self.DROP_AFTER_REFERENCE:
                result.score = 0.0
                explanation.append_textual_explanation_line(f"står efter '{label}': en henvisning, ikke en person")
            elif kind in self.FOREIGN_LABELS or kind == "REFERENCE":
                result.score = max(0.0, result.score - FOREIGN_LABEL_PENALTY)
                explanation.append_textual_explanation_line(f"'{label}' foran tyder på en anden type")
            else:
                continue
            explanation.set_improved_score(result.score)
            result.recognition_metadata[RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY] = True
        return raw_recognizer_results


# Boundaries shared by the number recognizers: not glued to letters, digits or
# other number punctuation, so "+4512345678", "27.12.08" and "12.345" are not
# split into smaller numbers.
NUMBER_START = r"(?<![\w+\-/.,])"
NUMBER_END = r"(?![\w\-/]|[.,]\d)"


def digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())
