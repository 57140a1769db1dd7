"""The spaCy pipeline under the guard: a blank Danish one, or a Danish NER model if installed.

Danish spaCy models are not on the package index, so a fresh machine gets
``spacy.blank("da")``: Danish tokenisation and stop words, no statistics, no
download. A blank pipeline leaves every lemma empty, and Presidio's context
enhancer compares context words against lemmas, so "cpr" before a number
would never raise its score. The ``legeplads_lowercase_lemma`` component
fills each empty lemma with the lower-case form, which is all the enhancer
needs (it matches context words as substrings, so "tlf." and "cpr-nr." work).

If a Danish pipeline with NER is installed (``da_core_news_sm/md/lg/trf`` or
any other package whose meta says ``lang: da`` and has an ``ner`` component),
it is used instead and its PER/LOC/ORG entities reach the recognizers.
``$LEGEPLADS_NER_MODEL`` names one explicitly (a package or a folder, such
as a DaCy model), or ``blank`` to use none.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import spacy
from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts, SpacyNlpEngine
from spacy.language import Language
from spacy.tokens import Doc

LANGUAGE = "da"

#: Known Danish NER pipelines, best first.
DANISH_NER_MODELS = ("da_core_news_trf", "da_core_news_lg", "da_core_news_md", "da_core_news_sm")

#: spaCy Danish labels → Presidio entity names. MISC is too vague to use.
ENTITY_MAPPING = {"PER": "PERSON", "PERSON": "PERSON", "LOC": "LOCATION", "GPE": "LOCATION", "ORG": "ORGANIZATION"}

# The guard reads text of up to a few megabytes (``legeplads redact`` on a
# document); spaCy's default limit of 1,000,000 characters exists for parsers
# and NER models, which a blank tokenizer does not run.
BLANK_MAX_LENGTH = 5_000_000


@Language.component("legeplads_lowercase_lemma")
def lowercase_lemma(doc: Doc) -> Doc:
    """Give every token without a lemma its lower-case form as lemma."""
    for token in doc:
        if not token.lemma:
            token.lemma = token.lower  # both are string-store hashes: no string is built
    return doc


@dataclass(frozen=True)
class LoadedPipeline:
    nlp: Language
    name: str  # e.g. "da (blank)" or "da_core_news_sm 3.8.0"
    has_ner: bool


def installed_danish_ner_model() -> str | None:
    """The best installed Danish spaCy package with NER, or None."""
    for name in DANISH_NER_MODELS:
        if spacy.util.is_package(name):
            return name
    for name in sorted(spacy.util.get_installed_models()):
        try:
            meta = spacy.util.get_model_meta(spacy.util.get_package_path(name))
        except (OSError, ValueError):
            continue
        if meta.get("lang") == LANGUAGE and "ner" in meta.get("pipeline", []):
            return name
    return None


BLANK = "blank"  # as ``model``: the blank Danish pipeline even where a NER model is installed
#: A spaCy pipeline (package name or folder) to use instead of the automatic choice, e.g. a DaCy model.
NER_MODEL_VARIABLE = "LEGEPLADS_NER_MODEL"


def load_pipeline(model: str | Path | None = None) -> LoadedPipeline:
    """Load ``model`` (package name or path), else an installed Danish NER model, else blank Danish.

    Never downloads anything.
    """
    model = model or os.environ.get(NER_MODEL_VARIABLE) or installed_danish_ner_model()
    if model is None or model == BLANK:
        nlp = spacy.blank(LANGUAGE)
        nlp.max_length = BLANK_MAX_LENGTH
        name = f"{LANGUAGE} (blank)"
    else:
        nlp = spacy.load(model)
        if nlp.lang != LANGUAGE:
            raise ValueError(f"{model} is a {nlp.lang!r} pipeline, not Danish")
        name = f"{nlp.lang}_{nlp.meta.get('name', Path(str(model)).name)} {nlp.meta.get('version', '?')}"
    nlp.add_pipe("legeplads_lowercase_lemma", last=True)
    # A statistical "ner" or a rule-based "entity_ruler" both fill doc.ents.
    return LoadedPipeline(nlp=nlp, name=name, has_ner=bool({"ner", "entity_ruler"} & set(nlp.pipe_names)))


class DanishNlpEngine(SpacyNlpEngine):
    """Presidio's spaCy engine around an already loaded pipeline (Presidio's own would download)."""

    def __init__(self, pipeline: LoadedPipeline) -> None:
        super().__init__(
            models=[{"lang_code": LANGUAGE, "model_name": pipeline.name}],
            ner_model_configuration=NerModelConfiguration(
                model_to_presidio_entity_mapping=ENTITY_MAPPING,
                labels_to_ignore=["MISC"],
            ),
        )
        self.nlp = {LANGUAGE: pipeline.nlp}

    def load(self) -> None:
        """Already loaded in ``__init__``."""

    def _doc_to_nlp_artifact(self, doc: Doc, language: str) -> NlpArtifacts:
        artifacts = super()._doc_to_nlp_artifact(doc, language)
        # Only ever tested for membership, once per context word and finding.
        artifacts.keywords = frozenset(artifacts.keywords)
        return artifacts
