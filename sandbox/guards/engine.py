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
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import spacy
from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts, SpacyNlpEngine
from spacy.lang.lex_attrs import is_punct, is_stop
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
    source: str | Path  # what was loaded (BLANK, a package name or a folder): load it again for the same pipeline


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
    model = model or os.environ.get(NER_MODEL_VARIABLE) or installed_danish_ner_model() or BLANK
    if model == BLANK:
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
    has_ner = bool({"ner", "entity_ruler"} & set(nlp.pipe_names))
    return LoadedPipeline(nlp=nlp, name=name, has_ner=has_ner, source=model)


class Pipelines:
    """spaCy pipelines lent one to each analysis, each with a vocabulary of its own, which forgets what it read.

    spaCy keeps every string it tokenises in its vocabulary for good: the
    names, CPR numbers and e-mail addresses the guard read stayed in the
    server's memory until it stopped, long after their session's vault was
    gone. An analysis inside ``nlp.memory_zone()`` (spaCy's mechanism for
    long-running services) frees them at its end; but a zone covers the
    whole vocabulary, so with one pipeline shared by the room's concurrent
    checks a zone ending would free strings another check is still reading.
    So each check borrows a pipeline of its own. At most ``most`` exist
    (the checks share the interpreter's lock, so more would only cost the
    time to load them; a Danish NER model costs its memory per copy); a
    check waits for one within its time limit. Every copy is loaded from what
    the first one was, so all checks run the same pipeline. A rule-based
    lemmatizer's own cache is not a vocabulary, and a zone does not clear it
    (Danish spaCy models use a trainable one). What forgetting costs,
    measured (``benchmarks/guard.py``): a zone does not fill the tokenizer's
    cache, so a 2,000-character note is checked at 0.77x the throughput.
    """

    def __init__(self, first: LoadedPipeline, most: int = 4) -> None:
        self._source = first.source
        self._free = [first.nlp]
        self._made = 1
        self._most = most
        self._returned = threading.Condition()

    @contextmanager
    def lent(self, timeout: float) -> Iterator[Language]:
        """A pipeline for one analysis; what it tokenised is forgotten when the block ends.

        Raises TimeoutError when none comes free within ``timeout`` seconds.
        """
        with self._returned:
            if not self._returned.wait_for(lambda: self._free or self._made < self._most, timeout):
                raise TimeoutError("no spaCy pipeline came free")
            nlp = self._free.pop() if self._free else None
            if nlp is None:
                self._made += 1
        try:
            if nlp is None:
                nlp = load_pipeline(self._source).nlp
            with nlp.memory_zone():
                yield nlp
        finally:
            with self._returned:
                if nlp is None:
                    self._made -= 1  # it failed to load: another may try
                else:
                    self._free.append(nlp)
                self._returned.notify()


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
        self._stop_words = frozenset(pipeline.nlp.Defaults.stop_words)

    def load(self) -> None:
        """Already loaded in ``__init__``."""

    def is_stopword(self, word: str, language: str) -> bool:
        """spaCy's rule for a lexeme's ``is_stop``, without looking the word up in a vocabulary.

        Presidio asks this of every lemma it makes a context keyword of; its
        own answer, ``vocab[word].is_stop``, added each word for good to the
        vocabulary of the pipeline it was built with, outside any memory zone.
        """
        return is_stop(word, self._stop_words)

    def is_punct(self, word: str, language: str) -> bool:
        """spaCy's rule for a lexeme's ``is_punct``, without a vocabulary (see :meth:`is_stopword`)."""
        return is_punct(word)

    def artifacts(self, nlp: Language, text: str) -> NlpArtifacts:
        """What ``process_text`` gives, from a pipeline lent by :class:`Pipelines` instead of its own."""
        return self._doc_to_nlp_artifact(nlp(text), LANGUAGE)

    def _doc_to_nlp_artifact(self, doc: Doc, language: str) -> NlpArtifacts:
        artifacts = super()._doc_to_nlp_artifact(doc, language)
        # Only ever tested for membership, once per context word and finding.
        artifacts.keywords = frozenset(artifacts.keywords)
        return artifacts
