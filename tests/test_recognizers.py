"""Each Danish recognizer, tested by examples (Presidio's own style), through the real guard.

The guard runs the real Presidio analyzer over the blank Danish spaCy
pipeline, so context words, field labels and overlap resolution are part of
what is tested.
"""

from __future__ import annotations

from datetime import date

import pytest

from sandbox.guards import Guard, Vault
from sandbox.guards.recognizers.cpr import birth_date, satisfies_modulus_11
from sandbox.guards.recognizers.cvr import is_valid_cvr
from sandbox.guards.recognizers.iban import is_valid_iban


@pytest.fixture(scope="module")
def guard() -> Guard:
    return Guard()


def found(guard: Guard, text: str) -> list[tuple[str, str]]:
    return [(e.type, text[e.start : e.end]) for e in guard.check(text, Vault()).entities]


def score_of(guard: Guard, text: str, value: str) -> float:
    for entity in guard.check(text, Vault()).entities:
        if text[entity.start : entity.end] == value:
            return entity.score
    raise AssertionError(f"{value!r} not found in {text!r}: {found(guard, text)}")


# --- CPR -------------------------------------------------------------------


@pytest.mark.parametrize("number", ["010190-1235", "0101901235", "010190 1235"])
def test_cpr_all_three_forms(guard: Guard, number: str) -> None:
    assert found(guard, f"CPR: {number}") == [("CPR", number)]


@pytest.mark.parametrize(
    ("number", "born"),
    [
        ("010199-2345", date(1999, 1, 1)),  # 7th digit 0-3: 1900s
        ("010136-4345", date(2036, 1, 1)),  # 4 and 9: 2000-2036 ...
        ("010137-4345", date(1937, 1, 1)),  # ... else 1937-1999
        ("010136-9345", date(2036, 1, 1)),
        ("010157-5345", date(2057, 1, 1)),  # 5-8: 2000-2057 ...
        ("010158-8345", date(1858, 1, 1)),  # ... else 1858-1899
    ],
)
def test_cpr_century_from_seventh_digit(number: str, born: date) -> None:
    assert birth_date(number) == born


@pytest.mark.parametrize(
    "number",
    [
        "320190-1234",  # day 32
        "011390-1234",  # month 13
        "290223-1234",  # 29 February 1923
        "290200-1234",  # 7th digit 1: 1900, not a leap year
    ],
)
def test_cpr_invalid_dates_rejected_unless_labelled(guard: Guard, number: str) -> None:
    assert birth_date(number) is None
    assert found(guard, f"Nummer på varelisten: {number[:6]}{number[7:]}.") == []
    # After a CPR label it is somebody's CPR number with a typo: masked all the same.
    assert found(guard, f"cpr-nr. {number}") == [("CPR", number)]


def test_cpr_replacement_numbers_add_60_to_the_day(guard: Guard) -> None:
    assert birth_date("610190-1235") == date(1990, 1, 1)
    assert found(guard, "Erstatningsnummer 610190-1235 er tildelt.") == [("CPR", "610190-1235")]


def test_cpr_leap_day_in_2000_is_valid(guard: Guard) -> None:
    assert birth_date("290200-4321") == date(2000, 2, 29)
    assert found(guard, "cpr-nr. 290200-4321") == [("CPR", "290200-4321")]


def test_cpr_without_modulus_11_is_accepted(guard: Guard) -> None:
    number = "010190-1235"
    assert not satisfies_modulus_11(number)
    assert found(guard, f"Han har {number}.") == [("CPR", number)]


def test_cpr_modulus_11_raises_confidence(guard: Guard) -> None:
    assert satisfies_modulus_11("070761-4285")
    assert score_of(guard, "Nummer 070761-4285.", "070761-4285") > score_of(guard, "Nummer 010190-1235.", "010190-1235")


@pytest.mark.parametrize("cue", ["cpr", "CPR-nr.", "personnummer", "født"])
def test_cpr_context_raises_confidence(guard: Guard, cue: str) -> None:
    bare = score_of(guard, "Nummeret 0101901235 står i brevet.", "0101901235")
    assert score_of(guard, f"Borgerens {cue} 0101901235 står i brevet.", "0101901235") > bare


# --- CVR -------------------------------------------------------------------


def test_cvr_modulus_11() -> None:
    assert is_valid_cvr("35071253")  # 3·2+5·7+0·6+7·5+1·4+2·3+5·2+3·1 = 99 = 9·11
    assert not is_valid_cvr("35071257")
    assert not is_valid_cvr("0507125")


@pytest.mark.parametrize("text", ["CVR 35071253", "CVR-nr.: 35 07 12 53", "cvr.nr. 35071253", "Moms: DK35071253"])
def test_cvr_with_label_or_dk_prefix(guard: Guard, text: str) -> None:
    assert [t for t, _ in found(guard, text)] == ["CVR"]


def test_eight_digits_after_phone_label_are_a_phone_even_if_cvr_valid(guard: Guard) -> None:
    assert found(guard, "tlf. 35071253") == [("TELEFON", "35071253")]


def test_cvr_and_phone_side_by_side_are_told_apart_by_the_nearest_label(guard: Guard) -> None:
    text = "tlf. 20674312, CVR 35071253"
    assert found(guard, text) == [("TELEFON", "20674312"), ("CVR", "35071253")]
    text = "CVR 35071253, tlf. 35071253"
    assert found(guard, text) == [("CVR", "35071253"), ("TELEFON", "35071253")]


# --- IBAN ------------------------------------------------------------------


def test_iban_mod_97() -> None:
    assert is_valid_iban("DK50 0040 0440 1162 43")
    assert not is_valid_iban("DK51 0040 0440 1162 43")
    assert is_valid_iban("DE89 3704 0044 0532 0130 00")


@pytest.mark.parametrize("iban", ["DK50 0040 0440 1162 43", "DK5000400440116243", "dk50 0040 0440 1162 43"])
def test_danish_iban(guard: Guard, iban: str) -> None:
    assert found(guard, f"Konto: {iban}.") == [("IBAN", iban)]
    assert score_of(guard, f"Konto: {iban}.", iban) == 1.0


def test_danish_iban_with_bad_check_digits_is_still_reported_lower(guard: Guard) -> None:
    assert 0.5 <= score_of(guard, "Konto: DK51 0040 0440 1162 43.", "DK51 0040 0440 1162 43") < 1.0


def test_foreign_iban_needs_valid_check_digits(guard: Guard) -> None:
    assert found(guard, "Überweisung an DE89 3704 0044 0532 0130 00.") == [("IBAN", "DE89 3704 0044 0532 0130 00")]
    assert "IBAN" not in [t for t, _ in found(guard, "Überweisung an DE88 3704 0044 0532 0130 00.")]


# --- Bank account ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Reg.nr. 1551 kontonr. 3345092177", "1551 kontonr. 3345092177"),
        ("Udbetales til konto 3409-9876543210.", "3409-9876543210"),
        ("Betaling til 8401 1234560781.", "8401 1234560781"),
        ("Kontonr.: 0245113809", "0245113809"),
    ],
)
def test_bank_account(guard: Guard, text: str, value: str) -> None:
    assert ("BANKKONTO", value) in found(guard, text)


def test_registration_number_alone_after_label(guard: Guard) -> None:
    assert found(guard, "Reg.nr.: 5301\nKontonr.: 0245113809") == [("BANKKONTO", "5301"), ("BANKKONTO", "0245113809")]


# --- E-mail ----------------------------------------------------------------


@pytest.mark.parametrize(
    "email", ["anne.hansen@mail.dk", "FARHAN.QADRI@GMAIL.COM", "k_m+legeplads@sub.kommune.example.dk"]
)
def test_email(guard: Guard, email: str) -> None:
    assert found(guard, f"Skriv til {email}, tak.") == [("EMAIL", email)]


# --- Phone -----------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "22334455", "22 33 44 55", "2233 4455", "22-33-44-55",
        "+45 22 33 44 55", "+4522334455", "0045 2233 4455", "(+45) 22 33 44 55",
    ],
)
def test_phone_groupings(guard: Guard, number: str) -> None:
    assert found(guard, f"Hun har nummeret {number}.") == [("TELEFON", number)]


def test_foreign_phone_with_country_code(guard: Guard) -> None:
    assert found(guard, "Svensk nummer: +46 70 123 45 67.") == [("TELEFON", "+46 70 123 45 67")]


@pytest.mark.parametrize("text", ["Ring 112 eller 1813.", "Beløbet er 12345678 øre.", "Nummer 01234567."])
def test_not_phones(guard: Guard, text: str) -> None:
    assert [t for t, _ in found(guard, text)] == []


def test_eight_digits_reading_as_a_date_need_a_phone_label(guard: Guard) -> None:
    assert found(guard, "Brevet er dateret 20112023.") == []
    assert found(guard, "Mobil: 20112023.") == [("TELEFON", "20112023")]


def test_phone_label_raises_confidence(guard: Guard) -> None:
    assert score_of(guard, "tlf. 22334455", "22334455") > score_of(guard, "Det er 22334455.", "22334455")


# --- Licence plate ---------------------------------------------------------


def test_licence_plate(guard: Guard) -> None:
    assert found(guard, "Bilen CV 48 219 holdt ulovligt.") == [("NUMMERPLADE", "CV 48 219")]
    assert found(guard, "Nummerplade: BV90211") == [("NUMMERPLADE", "BV90211")]


def test_licence_plate_must_be_upper_case(guard: Guard) -> None:
    assert found(guard, "cv 48 219") == []


# --- Address ---------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "Vestergade 12B, 2. th., 8000 Aarhus C",
        "Nørregade 3, st. tv.",
        "Skolebakken 7, 1. tv., 8600 Silkeborg",
        "Egevænget 9",
        "Ryesgade 3, kl.",
        "Nørrebrogade 208 4.tv",
        "Gl. Kongevej 112, 3. mf., 1850 Frederiksberg C",
        "Peter Bangs Vej 14, 2. tv, 2000 Frederiksberg",
        "H.C. Andersens Boulevard 27",
        "Houmeden 12, 1. sal, 8900 Randers C",
    ],
)
def test_address_forms(guard: Guard, address: str) -> None:
    assert found(guard, f"Hun bor nu på {address} sammen med sin søster.") == [("ADRESSE", address)]


def test_address_block_of_a_letter_spans_the_line_break(guard: Guard) -> None:
    letter = "Tingvej 44, st. th.\n8800 Viborg\n\nAfgørelse"
    assert found(guard, letter) == [("ADRESSE", "Tingvej 44, st. th.\n8800 Viborg")]


def test_lower_case_address_with_context(guard: Guard) -> None:
    assert found(guard, "jeg bor på birkevej 12 st tv og min nabo larmer") == [("ADRESSE", "birkevej 12 st tv")]


# --- Person ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Mødet med Mette Hansen blev flyttet.", "Mette Hansen"),
        ("Jonas ringede i går.", "Jonas"),
        ("Hr. Pedersen mødte op uden aftale.", "Pedersen"),
        ("Vi har skrevet til fru Özdemir.", "Özdemir"),
        ("jeg hedder mikkel bach sørensen og skal have hjælp", "mikkel bach sørensen"),
        ("Sagen om Mohammed Al-Hassan er afsluttet.", "Mohammed Al-Hassan"),
        ("Ayşe Yılmaz har søgt om hjemmehjælp.", "Ayşe Yılmaz"),
        ("Tolken oversatte for Nguyen Van Minh.", "Nguyen Van Minh"),
        ("Agnieszka Kowalska er sygemeldt.", "Agnieszka Kowalska"),
        ("Kopi sendes til Anne-Sofie Lund-Hansen.", "Anne-Sofie Lund-Hansen"),
        ("Kære Jørgen\n\nTak for dit brev.", "Jørgen"),
        ("Med venlig hilsen\nMarianne Kjeldsen", "Marianne Kjeldsen"),
        ("Moren, Thandeka Dlamini, er indforstået.", "Thandeka Dlamini"),
        ("SMS fra Chidi Okafor i dag.", "Chidi Okafor"),
        ("Kontaktperson er Finn.", "Finn"),
        ("Bo har fået bevilget ledsagerordning.", "Bo"),
        ("Jensens datter har søgt om aflastning.", "Jensens"),
        # A group of staff is not a name, but a person signing for it still is.
        ("Venlig hilsen\nKaren Holm, Ledergruppen", "Karen Holm"),
        ("Henvendelse til Affald og Genbrug ved Signe Nørgaard.", "Signe Nørgaard"),
        # A known surname typed in lower case after a name belongs to it (it used to reach the model).
        ("Ole hansen ringede i går.", "Ole hansen"),
        ("min nabo ole hansen er syg", "ole hansen"),
        ("Mette Hansen og Karen nielsen kommer.", "Karen nielsen"),
    ],
)
def test_person_names(guard: Guard, text: str, name: str) -> None:
    assert ("PERSON", name) in found(guard, text)


@pytest.mark.parametrize(
    "text",
    [
        "Det er hans egen vurdering, og han vil bo hjemme.",
        "Beløbet er 500 kr. per måned.",
        "Per telefon blev det aftalt, at sagen genoptages.",
        "Hans mor var også med til mødet.",
        "Bo hjemme så længe som muligt er borgerens ønske.",
        "Mark den relevante rubrik med et kryds.",
        "Han har bent hele vejen.",
        "Aarhus Kommune og Udbetaling Danmark har aftalt en ny procedure.",
        "Borgerservice og Jobcenter Aalborg holder lukket.",
        "Region Midtjylland og Aarhus Universitetshospital samarbejder.",
        "Frisør Klip v/ ejeren har sendt en regning.",
        # Municipal departments and groups of staff, as exercise material has them.
        "Henvendelse vedrørende ordningen kan ske til Affald og Genbrug på telefon.",
        "Venlig hilsen\nLedergruppen",
        "Referat fra Styregruppen og Arbejdsgruppe Nord.",
        "Han bor i skov og mark.",
    ],
)
def test_words_and_organisations_are_not_names(guard: Guard, text: str) -> None:
    assert [v for t, v in found(guard, text) if t == "PERSON"] == []


# --- Must not be redacted --------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Sagsnr. 2024-12345 vedrører klagen.",
        "Ankestyrelsens j.nr. 27.12.08-P20-1-24.",
        "Der er udbetalt 12.345 kr. i alt.",
        "Afgørelsen er truffet efter § 85 i serviceloven.",
        "Se LBK nr. 1287 af 20. september 2023.",
        "Mødet er den 12. marts 2024.",
        "Perioden er 01-02-2024 til 31-07-2024.",
        "Faktura nr. 20240317 er betalt.",
        "Kvittering nr. 77610284.",
        "Sagsnummer 24/18392 og dokumentnummer 2024-0051123.",
        "Skriv til Borgerservice, Aarhus Kommune eller Udbetaling Danmark.",
        "Modellen skrev: Kære [PERSON_1], din sag [CPR_2] er modtaget.",
    ],
)
def test_must_not_redact(guard: Guard, text: str) -> None:
    assert found(guard, text) == []
