"""Ways around the guard that pasted text opens, each shut (issue 11's list, and a few more).

Each case is the text a user pastes and the digits or letters that must not
reach the model. The check is on what the model would receive
(``GuardResult.text``) after removing every non-alphanumeric character, so a
value split by any separator still counts as leaked. One test sends them all
through the real pipeline and searches the SQLite log byte by byte.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from sandbox.audit import AuditLog
from sandbox.backends.base import GenerationParams
from sandbox.guards import Guard, Vault
from sandbox.guards.normalise import normalise
from sandbox.pipeline import Pipeline, Request, Session

# (pasted text, what must not be in what the model gets)
BYPASSES = [
    ("Tlf.:\u00a0+45\u00a023\u00a045\u00a067\u00a089", "23456789"),  # Outlook signature
    ("Mobil 23\u202f45\u202f67\u202f89", "23456789"),  # narrow no-break spaces
    ("cpr-nr. 150385\u00a01234", "1503851234"),
    ("cpr-nr. 150385\u20111234", "1503851234"),  # non-breaking hyphen
    ("cpr-nr. 150385\u20121234", "1503851234"),  # figure dash
    ("cpr-nr. 150385\u20131234", "1503851234"),  # en dash
    ("cpr-nr. 150385\u22121234", "1503851234"),  # minus sign
    ("cpr-nr. １５０３８５-１２３４", "1503851234"),  # full-width digits
    ("cpr-nr. ١٥٠٣٨٥-١٢٣٤", "1503851234"),  # Arabic-Indic digits
    ("Vestergade\u00a012, 8000\u00a0Aarhus C", "Vestergade12"),
    ("IBAN DK50\u00a00040\u00a00440\u00a01162\u00a043", "0040044011624"),
    ("mette.hansen\u00ad@example.dk", "mettehansen"),  # soft hyphen in an e-mail address
    ("Vi har talt med Mette Han\u00adsen om sagen.", "Hansen"),  # soft hyphen in a name
    ("Vi har talt med Mette Han\u200bsen om sagen.", "Hansen"),  # zero-width space
    ("Vi har talt med Mette H\u0430nsen om sagen.", "Hnsen"),  # Cyrillic а inside a Latin name
    ("Borgeren e\u0301r Rene\u0301 Hansen, cpr 150385-1234", "1503851234"),  # combining accents
    ("Sagsbehandler Marianne Thyge-\nsen har svaret.", "Thygesen"),  # hyphenated at a line end (PDF)
    ("cpr [CPR_1503851234]", "1503851234"),  # shaped like a placeholder
    ("Ring på [TELEFON_23456789]", "23456789"),
    ("CPR-nr.: 300285-1234", "3002851234"),  # impossible date after a CPR label
    ("Erstatningsnummer: 610190-1235", "6101901235"),  # replacement number, day + 60
    ("Borgeren 1503851234 henvendte sig i dag.", "1503851234"),  # ten digits, no label
]


def _alnum(text: str) -> str:
    return re.sub(r"[\W_]+", "", text)


@pytest.fixture(scope="module")
def guard() -> Guard:
    return Guard()


@pytest.mark.parametrize(("text", "secret"), BYPASSES, ids=[repr(t)[:40] for t, _ in BYPASSES])
def test_the_value_does_not_reach_the_model(guard: Guard, text: str, secret: str) -> None:
    sent = guard.check(text, Vault()).text
    assert secret not in _alnum(normalise(sent).text), sent


def test_what_the_model_gets_has_no_character_the_guard_did_not_read(guard: Guard) -> None:
    text = "Hej\u00a0Mette\u200b, ring\u2011til\u00ad mig på 23\u202f45\u202f67\u202f89 – tak!"
    sent = guard.check(text, Vault()).text
    assert not set(sent) & set("\u00a0\u200b\u2011\u00ad\u202f\u2013")
    assert sent == normalise(sent).text


def test_offsets_stay_in_the_text_the_user_typed(guard: Guard) -> None:
    text = "Ring\u200b\u200b til Mette Han\u00adsen på +45\u00a023\u00a045\u00a067\u00a089 i dag."
    result = guard.check(text, Vault())
    assert [(e.type, text[e.start : e.end]) for e in result.entities] == [
        ("PERSON", "Mette Han\u00adsen"),
        ("TELEFON", "+45\u00a023\u00a045\u00a067\u00a089"),
    ]


def test_a_typed_placeholder_never_shares_a_number_with_a_real_one(guard: Guard) -> None:
    vault = Vault()
    result = guard.check("Skriv til [PERSON_1] og til Mette Hansen.", vault)
    assert result.text == "Skriv til [PERSON_1] og til [PERSON_2]."
    assert vault.restore(result.text) == "Skriv til [PERSON_1] og til Mette Hansen."
    # The vault's own placeholders stay placeholders in the next turn, the typed one stays text.
    again = guard.check("Hvad med [PERSON_2] og [PERSON_1]? Og Ole Jensen?", vault)
    assert again.text == "Hvad med [PERSON_2] og [PERSON_1]? Og [PERSON_3]?"
    assert [e.placeholder for e in again.entities] == ["[PERSON_3]"]


def test_a_placeholder_from_another_session_is_analysed(guard: Guard) -> None:
    mine, other = Vault(), Vault()
    guard.check("Mette Hansen", other)
    result = guard.check("Sagen om [PERSON_1], tlf. [TELEFON_1]", mine)
    assert result.entities == ()  # not a value, but not skipped as ours either
    assert result.text == "Sagen om [PERSON_1], tlf. [TELEFON_1]"
    assert mine.placeholder("PERSON", "Ole") == "[PERSON_2]"


def test_every_mention_gets_the_persons_placeholder(guard: Guard) -> None:
    text = (
        "Formanden: Hr. Søren Bjerre, værsgo.\n"
        "Søren Bjerre (V): Tak. Jeg vil gerne svare fru Rikke Thygesen.\n"
        "Formanden: Tak til hr. Bjerre. Fru Thygesen.\n"
        "Rikke Thygesen (S): Thygesens forslag står. BJERRE tager fejl, og bjerre ved det."
    )
    result = guard.check(text, Vault())
    assert result.text == (
        "Formanden: Hr. [PERSON_1], værsgo.\n"
        "[PERSON_1] (V): Tak. Jeg vil gerne svare fru [PERSON_2].\n"
        "Formanden: Tak til hr. [PERSON_1]. Fru [PERSON_2].\n"
        "[PERSON_2] (S): [PERSON_2] forslag står. [PERSON_1] tager fejl, og [PERSON_1] ved det."
    )


@pytest.mark.parametrize(
    ("text", "sent"),
    [
        ("Deltagere: Hansen, Mette og Lise K. Holm", "Deltagere: [PERSON_1], [PERSON_2] og [PERSON_3]"),
        ("Notat ved Ib S. Madsen og I.S. Madsen", "Notat ved [PERSON_1] og [PERSON_2]"),
        ("Mødt: Rikke\nThygesen og BRANDT Karen", "Mødt: [PERSON_1] og [PERSON_2]"),
        ("ring til karen marie sørensen i morgen", "ring til [PERSON_1] i morgen"),
        ("Henrik Lauridsen (HL) ringer. Næste skridt: HL kontakter Lidl.", "[PERSON_1] ([PERSON_1]) ringer. "
         "Næste skridt: [PERSON_1] kontakter Lidl."),
        ("Efua Asante\nSocialrådgiver, Jobcenter Vest", "[PERSON_1]\nSocialrådgiver, Jobcenter Vest"),
        ("Vi talte med Tesfay om sagen.", "Vi talte med [PERSON_1] om sagen."),
        ("Karen Holm (14.02.1961) er født 14. februar 1961.", "[PERSON_1] ([FØDSELSDATO_1]) er født [FØDSELSDATO_1]."),
        ("Hun bor på Nørregade 14B, 312, 2800 Kgs.Lyngby.", "Hun bor på [ADRESSE_1]."),
    ],
)
def test_names_and_shapes_from_real_text(guard: Guard, text: str, sent: str) -> None:
    assert guard.check(text, Vault()).text == sent


@pytest.mark.parametrize(
    "text",
    [
        "Mødet i Aarhus Kommune den 12.03.2024 kl. 10 handlede om § 85 i serviceloven.",
        "Beløbet er 4.250 kr. for perioden 2019-2023, j.nr. 2024-0123.",
        "Borgeren sagde, at Udbetaling Danmark har svaret.",
        "Vejen er lukket mellem Vejle og Horsens.",
    ],
)
def test_ordinary_text_stays(guard: Guard, text: str) -> None:
    assert guard.check(text, Vault()).entities == ()


def test_no_bypass_reaches_the_log(tmp_path: Path, pipeline: Pipeline) -> None:
    log = AuditLog(tmp_path / "bypass.sqlite3")
    through = Pipeline(pipeline._backend, pipeline.guard, log)  # the real model and guard, a log of its own
    session = Session()
    for text, _ in BYPASSES:
        through.ask(Request(f"Skriv kort om: {text}", GenerationParams(max_tokens=2, seed=1)), session)
    with sqlite3.connect(log.path) as db:
        db.execute("PRAGMA wal_checkpoint(PASSIVE)")
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("bypass.sqlite3*")).decode("utf-8", "replace")
    plain = _alnum(normalise(stored).text)
    for _, secret in BYPASSES:
        assert secret not in plain, f"{secret!r} found in the log file"


def test_the_preview_marks_pasted_text_as_the_model_gets_it(guard: Guard) -> None:
    from sandbox.ui.preview import highlights

    text = "Ring til Mette Han\u00adsen på +45\u00a023\u00a045\u00a067\u00a089, hun har diabetes."
    result = guard.check(text, Vault())
    pieces, _ = highlights(text, result)
    assert "".join(piece for piece, _ in pieces) == result.text
    assert [(piece, label) for piece, label in pieces if label] == [
        ("[PERSON_1]", "Navn"),
        ("[TELEFON_1]", "Telefonnummer"),
        ("diabetes", "Art. 9: helbred"),
    ]


def test_an_answer_with_look_alike_characters_keeps_its_probabilities(guard: Guard) -> None:
    """The output guard folds "–" and no-break spaces; the token view must still line up."""
    from sandbox.backends.base import Token
    from sandbox.ui import probabilities

    tokens = [Token("Mødet", 0.9), Token(" kl. 10–12", 0.8), Token("\u00a0med", 0.7), Token(" Mette Hansen", 0.6)]
    raw = "".join(t.text for t in tokens)
    result = guard.check_output(raw, Vault())
    assert result.text == "Mødet kl. 10-12 med [PERSON_1]"
    masked = [(e.start, e.end, e.placeholder) for e in result.entities]
    pieces = probabilities.align(tokens, result.text, masked)
    assert pieces is not None
    assert [p.prob for p in pieces] == [0.9, 0.8, 0.7, None, None]


@pytest.mark.parametrize("text", ["[" * 20_000, "!?" * 20_000, "Mette Hansen " + "(" * 30_000])
def test_a_run_of_brackets_cannot_stall_the_guard(guard: Guard, text: str) -> None:
    """spaCy's tokenizer is quadratic on such runs and holds the interpreter, so the guard's own
    time limit could not stop it: before the fix the first case took 95 s, for every session."""
    result = guard.check(text, Vault())  # a GuardError here would be the time limit
    assert "Mette Hansen" not in result.text
