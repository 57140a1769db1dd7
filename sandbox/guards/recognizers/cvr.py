"""CVR-nummer (Danish business register number): 8 digits, modulus 11 with weights 2,7,6,5,4,3,2,1.

Eight digits are also a phone number, so a bare CVR-valid number scores
below the phone recognizer; the label "CVR" (or "SE-nr.", "VAT") in front,
or the "DK" prefix, makes it a CVR number. Eight digits right after "CVR"
that fail modulus 11 are still reported (a typo does not make a company
number harmless), but only with the label.
"""

from __future__ import annotations

from presidio_analyzer import RecognizerResult

from sandbox.guards.recognizers.base import NUMBER_END, NUMBER_START, DanishPatternRecognizer, digits

WEIGHTS = (2, 7, 6, 5, 4, 3, 2, 1)
INVALID_SCORE = 0.2


def is_valid_cvr(number: str) -> bool:
    d = digits(number)
    return len(d) == 8 and d[0] != "0" and sum(int(x) * w for x, w in zip(d, WEIGHTS, strict=True)) % 11 == 0


class DanishCvrRecognizer(DanishPatternRecognizer):
    ENTITY = "CVR"
    PATTERNS = (
        ("cvr_dk", r"(?<![\w-])DK[ -]?\d{8}(?![\w-])", 0.7),
        ("cvr_samlet", NUMBER_START + r"\d{8}" + NUMBER_END, 0.4),
        ("cvr_par", NUMBER_START + r"\d{2} \d{2} \d{2} \d{2}" + NUMBER_END, 0.4),
        ("cvr_firer", NUMBER_START + r"\d{4} \d{4}" + NUMBER_END, 0.35),
    )
    CONTEXT = ("cvr", "se-nr", "virksomhed", "firma", "selskab", "arbejdsgiver", "vat", "moms")
    EXPLANATIONS = {
        "cvr_dk": "DK + 8 cifre som et CVR-nummer",
        "cvr_samlet": "8 cifre som et CVR-nummer",
        "cvr_par": "8 cifre i par som et CVR-nummer",
        "cvr_firer": "8 cifre i to grupper som et CVR-nummer",
    }
    OWN_LABELS = frozenset({"CVR"})
    FOREIGN_LABELS = frozenset({"TELEFON", "CPR", "BANKKONTO", "REGNR", "NUMMERPLADE"})

    def refine(self, text: str, results: list[RecognizerResult]) -> list[RecognizerResult]:
        for result in results:
            if is_valid_cvr(text[result.start : result.end]):
                result.analysis_explanation.append_textual_explanation_line("opfylder modulus 11")
                continue
            result.score = INVALID_SCORE
            result.analysis_explanation.append_textual_explanation_line("men opfylder ikke modulus 11")
            result.analysis_explanation.set_improved_score(result.score)
            # Only a "CVR" label right in front may lift it (see enhance_using_context),
            # not a loose context word such as "firma" five words back.
            result.recognition_metadata[RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY] = True
        return results
