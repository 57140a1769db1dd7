"""click's own words in Danish: the usage line, the headings, ``--help`` and the usage errors.

click marks its texts for translation with the standard library's gettext
(``from gettext import gettext as _`` in each of its modules). That gettext
reads a compiled ``.mo`` catalogue of the process-wide "messages" domain and
picks the language from LANGUAGE, LC_ALL and LANG, so a catalogue would make
``legeplads`` Danish only in a Danish terminal. :func:`install` therefore
points those modules' ``_`` and ``ngettext`` at the table below: click's own
mechanism, with the catalogue in Python and no locale involved. A text not in
the table (click's errors about a wrongly built command, which only a
developer sees) is passed through unchanged.

Three words click writes without gettext are set by :class:`DanishGroup`:
"[OPTIONS]" and "COMMAND [ARGS]..." in the usage line, and the English type
names ("INTEGER", "FLOAT", "TEXT") that are an option's placeholder and part
of the message for a value of the wrong type.
"""

from __future__ import annotations

import copy
from typing import Any

import click
from click import core, decorators, exceptions, formatting, parser, termui, types

# click's English (its msgid, exactly as in click's source) -> Danish.
MESSAGES: dict[str, str] = {
    "Usage:": "Brug:",
    "Options": "Tilvalg",
    "Commands": "Kommandoer",
    "Positional arguments": "Argumenter",
    "Show this message and exit.": "Vis denne hjælp og afslut.",
    "Show the version and exit.": "Vis versionen og afslut.",
    "%(prog)s, version %(version)s": "%(prog)s version %(version)s",
    "default: {default}": "standard: {default}",
    "required": "skal angives",
    "Error: {message}": "Fejl: {message}",
    "Try '{command} {option}' for help.": "Skriv '{command} {option}' for at få hjælp.",
    "Aborted!": "Afbrudt.",
    "Missing command.": "Der mangler en kommando.",
    "Missing argument": "Mangler argumentet",
    "Missing option": "Mangler tilvalget",
    "No such option {name!r}.": "Tilvalget {name!r} findes ikke.",
    "No such command {name!r}.": "Kommandoen {name!r} findes ikke.",
    "Invalid value for {param_hint}: {message}": "Ugyldig værdi for {param_hint}: {message}",
    "Invalid value: {message}": "Ugyldig værdi: {message}",
    "Option {name!r} does not take a value.": "Tilvalget {name!r} tager ingen værdi.",
    "Choose from:\n\t{choices}": "Vælg mellem:\n\t{choices}",
    "{value!r} is not a valid {number_type}.": "{value!r} er ikke et gyldigt {number_type}.",
    "{value} is not in the range {range}.": "{value} er ikke i intervallet {range}.",
}

# (singular, plural) -> (Danish singular, Danish plural), for click's ngettext.
PLURALS: dict[tuple[str, str], tuple[str, str]] = {
    ("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"): (
        "Mente du {possibility}?",
        "(Mente du en af disse: {possibilities}?)",
    ),
    ("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"): (
        "Uventet ekstra argument ({args})",
        "Uventede ekstra argumenter ({args})",
    ),
    ("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."): (
        "Tilvalget {name!r} skal have en værdi.",
        "Tilvalget {name!r} skal have {nargs} værdier.",
    ),
    ("{value!r} is not {choice}.", "{value!r} is not one of {choices}."): (
        "{value!r} er ikke {choice}.",
        "{value!r} er ikke en af {choices}.",
    ),
}

# click's type names -> Danish. The name is an option's placeholder in upper
# case (--seed HELTAL) and ends "… er ikke et gyldigt heltal."
TYPE_NAMES: dict[str, str] = {
    "integer": "heltal",
    "integer range": "heltal",
    "float": "decimaltal",
    "float range": "decimaltal",
    "text": "tekst",
}

_TRANSLATED_MODULES = (core, decorators, exceptions, formatting, parser, termui, types)


def gettext(message: str) -> str:
    """click's ``_``: the Danish text, or click's own for one not in the table."""
    return MESSAGES.get(message, message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """click's ``ngettext``: Danish singular or plural; Danish, like English, has only the two."""
    danish = PLURALS.get((singular, plural), (singular, plural))
    return danish[0] if count == 1 else danish[1]


def install() -> None:
    """Make click speak Danish in this process.

    Called before any command is declared: ``@click.version_option`` fetches
    its help text when it decorates, not when the help is shown.
    """
    for module in _TRANSLATED_MODULES:
        module._ = gettext
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext


def _danish_type(param_type: click.ParamType) -> click.ParamType:
    """A copy of ``param_type`` with a Danish name; click's shared instances (click.INT) stay as they are."""
    danish = TYPE_NAMES.get(param_type.name)
    if danish is None:
        return param_type
    renamed = copy.copy(param_type)
    renamed.name = danish
    return renamed


class DanishCommand(click.Command):
    """A command whose usage line says [TILVALG] and whose placeholders are Danish type names."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", "[TILVALG]")
        super().__init__(*args, **kwargs)
        for param in self.params:
            param.type = _danish_type(param.type)


class DanishGroup(DanishCommand, click.Group):
    """A group of Danish commands; its subgroups are DanishGroups and its commands DanishCommands."""

    command_class = DanishCommand
    group_class = type

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("subcommand_metavar", "KOMMANDO [ARGUMENTER]...")
        super().__init__(*args, **kwargs)


# argparse's English (Python 3.11's msgids) -> Danish, for the scripts beside the CLI
# (scripts/download_model.py), which IT runs from the app's own advice.
ARGPARSE_MESSAGES: dict[str, str] = {
    "usage: ": "brug: ",
    "positional arguments": "argumenter",
    "options": "tilvalg",
    "show this help message and exit": "vis denne hjælp og afslut",
    "%(prog)s: error: %(message)s\n": "%(prog)s: fejl: %(message)s\n",
    "the following arguments are required: %s": "disse argumenter skal angives: %s",
    "unrecognized arguments: %s": "ukendte argumenter: %s",
    "expected one argument": "forventede én værdi",
    "argument %(argument_name)s: %(message)s": "argumentet %(argument_name)s: %(message)s",
    "invalid choice: %(value)r (choose from %(choices)s)": "ugyldigt valg: %(value)r (vælg mellem %(choices)s)",
    "invalid %(type)s value: %(value)r": "ugyldig %(type)s-værdi: %(value)r",
}


def install_argparse() -> None:
    """Make argparse speak Danish in this process (its module-level ``_``, as for click)."""
    import argparse

    argparse._ = lambda message: ARGPARSE_MESSAGES.get(message, message)  # type: ignore[attr-defined]
