"""The guard's recognizers, one per file, and the set the guard runs."""

from __future__ import annotations

from presidio_analyzer import EntityRecognizer
from presidio_analyzer.predefined_recognizers import SpacyRecognizer

from sandbox.guards.recognizers.address import DanishAddressRecognizer
from sandbox.guards.recognizers.bank_account import DanishBankAccountRecognizer
from sandbox.guards.recognizers.base import LANGUAGE
from sandbox.guards.recognizers.birth_date import DanishBirthDateRecognizer
from sandbox.guards.recognizers.cpr import DanishCprRecognizer
from sandbox.guards.recognizers.cvr import DanishCvrRecognizer
from sandbox.guards.recognizers.email import DanishEmailRecognizer
from sandbox.guards.recognizers.iban import DanishIbanRecognizer
from sandbox.guards.recognizers.licence_plate import DanishLicencePlateRecognizer
from sandbox.guards.recognizers.person import DanishNameRecognizer
from sandbox.guards.recognizers.phone import DanishPhoneRecognizer

__all__ = ["danish_recognizers"]


def danish_recognizers(with_ner: bool) -> list[EntityRecognizer]:
    """Every recognizer the guard runs; ``with_ner`` adds the spaCy model's PER entities."""
    recognizers: list[EntityRecognizer] = [
        DanishCprRecognizer(),
        DanishCvrRecognizer(),
        DanishIbanRecognizer(),
        DanishBankAccountRecognizer(),
        DanishEmailRecognizer(),
        DanishPhoneRecognizer(),
        DanishLicencePlateRecognizer(),
        DanishAddressRecognizer(),
        DanishBirthDateRecognizer(),
        DanishNameRecognizer(),
    ]
    if with_ner:
        recognizers.append(
            SpacyRecognizer(
                supported_language=LANGUAGE,
                supported_entities=["PERSON"],
                default_explanation="navn fundet af sprogmodellens navnegenkendelse (NER)",
            )
        )
    return recognizers
