"""The exercise measures against values worked out by hand."""

from __future__ import annotations

import pytest

from sandbox.exercises.measures import (
    admits_not_knowing,
    contains_term,
    content_stems,
    exact_test,
    lix,
    lix_band,
    long_word_ranges,
    match_sentences,
    mean_pairwise,
    numbers,
    similarity,
    similarity_matrix,
    split_sentences,
    support,
    word_diff,
    words,
)

# --- LIX -------------------------------------------------------------------


def test_lix_of_a_fixed_text_by_hand() -> None:
    # 11 words in 2 sentences; long words (more than six letters): Kommunen,
    # modtaget, ansøgning, fjorten = 4. LIX = 11/2 + 100*4/11 = 5.5 + 36.36 = 41.86.
    result = lix("Kommunen har modtaget din ansøgning. Du får svar inden fjorten dage.")
    assert result.words == 11
    assert result.sentences == 2
    assert result.long_words == ("Kommunen", "modtaget", "ansøgning", "fjorten")
    assert result.words_per_sentence == pytest.approx(5.5)
    assert result.long_word_percent == pytest.approx(400 / 11)
    assert result.score == pytest.approx(5.5 + 400 / 11)
    assert result.rounded == 42
    assert result.band.label == "Middel"


def test_lix_counts_colon_and_line_breaks_as_sentence_ends() -> None:
    # "Kære Ida" (2 words) | "Husk:" (1) | "mødet er flyttet." (3) -> 6 words, 3 sentences,
    # one long word (flyttet, 7 letters). LIX = 6/3 + 100*1/6 = 2 + 16.67 = 18.67.
    result = lix("Kære Ida\nHusk: mødet er flyttet.")
    assert (result.words, result.sentences, result.long_words) == (6, 3, ("flyttet",))
    assert result.score == pytest.approx(2 + 100 / 6)
    assert result.band.label == "Meget let"


def test_lix_of_empty_text_is_zero() -> None:
    result = lix("  \n ")
    assert (result.words, result.sentences, result.score) == (0, 0, 0.0)


def test_long_words_count_letters_not_digits_or_hyphens() -> None:
    # "CPR-nummer" has 9 letters -> long; "14.03.2025" has no letters; "e-mail" 5 letters.
    assert lix("CPR-nummer 14.03.2025 e-mail").long_words == ("CPR-nummer",)
    text = "Se ansøgningen nu"
    assert [text[a:b] for a, b in long_word_ranges(text)] == ["ansøgningen"]


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (0, "Meget let"),
        (24.49, "Meget let"),
        (24.5, "Let"),  # rounded half up to 25
        (34.4, "Let"),
        (35, "Middel"),
        (44.9, "Svær"),  # 45
        (54.4, "Svær"),
        (54.5, "Meget svær"),
        (80, "Meget svær"),
    ],
)
def test_danish_lix_bands(score: float, band: str) -> None:
    assert lix_band(score).label == band


# --- Sentences and words ----------------------------------------------------


def test_sentences_respect_abbreviations_ordinals_and_lines() -> None:
    text = (
        "Kære Hanne\nVi modtog din ansøgning den 1. marts. Du får ca. 1.250,50 kr. om måneden. "
        "Se f.eks. stk. 2! Er det ok? Ja."
    )
    assert [s.text for s in split_sentences(text)] == [
        "Kære Hanne",
        "Vi modtog din ansøgning den 1. marts.",
        "Du får ca. 1.250,50 kr. om måneden.",
        "Se f.eks. stk. 2!",
        "Er det ok?",
        "Ja.",
    ]
    for sentence in split_sentences(text):
        assert text[sentence.start : sentence.end] == sentence.text


def test_hard_wrapped_lines_continue_the_sentence() -> None:
    # A pasted letter wraps mid-sentence; a greeting, a bullet or a numbered item starts anew.
    text = "Kære Ida\nVi har beregnet en tilbagebetaling på\n4.812 kr. for perioden\nfra januar.\n- punkt\n2) næste"
    assert [s.text for s in split_sentences(text)] == [
        "Kære Ida",
        "Vi har beregnet en tilbagebetaling på\n4.812 kr. for perioden\nfra januar.",
        "- punkt",
        "2) næste",
    ]


def test_colon_splits_only_when_asked() -> None:
    assert len(split_sentences("Husk: mødet er flyttet.")) == 1
    assert len(split_sentences("Husk: mødet er flyttet.", colon=True)) == 2


def test_words_keep_numbers_and_hyphenated_words_whole() -> None:
    assert words("CPR-nummer 120379-1146, beløb 4.812 kr.") == ["CPR-nummer", "120379-1146", "beløb", "4.812", "kr"]
    assert numbers("Frist 1. oktober 2025, beløb 4.812 kr.") == ["1", "2025", "4.812"]


# --- Similarity and diffs ---------------------------------------------------


def test_similarity_by_hand() -> None:
    # 3 of 4 words match in order: 2*3/(4+4) = 0.75.
    assert similarity("a b c d", "a b x d") == pytest.approx(0.75)
    assert similarity("Ring til os", "ring TIL os!") == 1.0
    assert similarity("en to", "tre fire") == 0.0
    assert similarity("", "") == 1.0
    assert similarity("noget", "") == 0.0


def test_similarity_matrix_and_mean() -> None:
    # a-b 0.75, a-c: "a b c d" vs "a b" -> 2*2/6 = 0.667, b-c: "a b x d" vs "a b" -> 0.667.
    matrix = similarity_matrix(["a b c d", "a b x d", "a b"])
    assert matrix[0][0] == matrix[1][1] == 1.0
    assert matrix[0][1] == matrix[1][0] == pytest.approx(0.75)
    assert matrix[0][2] == pytest.approx(2 / 3)
    assert mean_pairwise(matrix) == pytest.approx((0.75 + 2 / 3 + 2 / 3) / 3)
    assert mean_pairwise(similarity_matrix(["kun én"])) == 1.0


def test_word_diff_ignores_case_and_punctuation_but_keeps_words() -> None:
    parts = word_diff("Hun skal i praktik.", "han skal i uddannelse nu")
    assert [(p.op, p.left, p.right) for p in parts] == [
        ("replace", "Hun", "han"),
        ("equal", "skal i", "skal i"),
        ("replace", "praktik.", "uddannelse nu"),
    ]
    assert [p.op for p in word_diff("Ring nu.", "ring nu")] == ["equal"]
    assert [(p.op, p.right) for p in word_diff("a b", "a x b")] == [("equal", "a"), ("insert", "x"), ("equal", "b")]


def test_match_sentences_counts_other_answers_with_the_same_sentence() -> None:
    # "Vi har åbent i dag." vs "Vi har lukket.": 2 of 5+3 words -> 0.5 < 0.8, so not the same.
    matches = match_sentences("Ring til os. Vi har åbent i dag.", ["Ring til os. Vi har lukket.", "ring til os!"])
    assert [(m.sentence.text, m.found_in, m.others) for m in matches] == [
        ("Ring til os.", 2, 2),
        ("Vi har åbent i dag.", 0, 2),
    ]
    assert matches[0].share == 1.0


# --- Support and honesty ----------------------------------------------------


def test_content_stems_drop_stop_words_keep_numbers_and_placeholders() -> None:
    stems = content_stems("Ifølge [PERSON_1] er fristen 14 dage efter § 147.")
    assert "[PERSON_1]" in stems
    assert "14" in stems and "147" in stems
    assert "er" not in stems and "efter" not in stems
    assert content_stems("ansøgningen") == content_stems("ansøgning")


def test_support_by_hand() -> None:
    # Claim stems: frist, 14, dag, 147; the reference has frist and dag -> 2/4.
    assert support("Fristen er 14 dage efter § 147.", "Fristen er 30 dage.") == pytest.approx(0.5)
    assert support("Fristen er 14 dage.", "Du har 14 dage, det er fristen.") == 1.0
    assert support("og men", "helt andet") == 1.0  # nothing to check


@pytest.mark.parametrize(
    "answer",
    [
        "Det ved jeg ikke.",
        "Jeg kender ikke den lov.",
        "Den ordning findes ikke i Kildevang Kommune.",
        "Jeg er ikke sikker på, at den paragraf eksisterer.",
        "Jeg har ingen oplysninger om Grøn Cykelcheck.",
    ],
)
def test_admits_not_knowing(answer: str) -> None:
    assert admits_not_knowing(answer)


@pytest.mark.parametrize(
    "answer", ["§ 14 giver ret til et tilskud på 2.500 kr.", "Man søger via borger.dk inden 1. maj."]
)
def test_confident_answers_do_not_admit_anything(answer: str) -> None:
    assert not admits_not_knowing(answer)


def test_contains_term_matches_inside_compounds_and_across_words() -> None:
    assert contains_term("Hun kan komme i virksomhedspraktik.", "praktik")
    assert contains_term("Jeg BAKKER OP om planen", "bakker op")
    assert not contains_term("Jeg bakker ikke op", "bakker op")
    assert not contains_term("noget", "")


# --- Exact test -------------------------------------------------------------


def test_exact_test_matches_fishers_tea_tasting() -> None:
    # Rows of 4 and 4, 4 hits in all. P(x) = C(4,x) C(4,4-x) / C(8,4): 1,16,36,16,1 /70.
    # Observed 3 vs 1: two-sided p = (1+16+16+1)/70.
    assert exact_test([3, 1], [4, 4]) == pytest.approx(34 / 70)
    assert exact_test([4, 0], [4, 4]) == pytest.approx(2 / 70)
    assert exact_test([2, 2], [4, 4]) == pytest.approx(1.0)


def test_exact_test_with_three_groups() -> None:
    # Rows 2,2,2 with 2 hits: C(6,2)=15 tables. Observed (2,0,0) has P = 1/15, as have
    # (0,2,0) and (0,0,2); the three (1,1,0)-type tables have 4/15 each. p = 3/15.
    assert exact_test([2, 0, 0], [2, 2, 2]) == pytest.approx(3 / 15)


def test_exact_test_rejects_impossible_counts() -> None:
    with pytest.raises(ValueError):
        exact_test([5, 0], [4, 4])
    with pytest.raises(ValueError):
        exact_test([1], [2, 2])
