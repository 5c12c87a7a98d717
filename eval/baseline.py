"""The plain LangChain recipe, run over the same corpus and questions for comparison.

RecursiveCharacterTextSplitter (800/200) → the same MiniLM embedder → a separate Chroma
collection → top-k by cosine → one "answer from context, cite [n]" prompt → the same model.
No hybrid search, no date resolution, no condensing of follow-ups, no citation checks: the
point is to show what those parts of newsrag are worth.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from eval.contenders import followup_query
from rag.answer.prompts import Prompts
from rag.documents.loader import iter_article_paths, load_document
from rag.embeddings.base import Embedder
from rag.errors import DocumentError
from rag.llm.base import ChatModel
from rag.store.chroma import ChromaStore
from rag.text.markers import cited_sentences
from rag.types import Answer, Chunk, Citation, Filters, Message, Passage, Statement, Turn

CHUNK_SIZE = 800
CHUNK_OVERLAP = 200
COLLECTION = "baseline"
# What "say that you don't know" comes out as; the recipe has no refusal marker of its own.
_DECLINE = re.compile(
    r"\b(?:don'?t|do not) know\b|not (?:in|provided in|mentioned in) the (?:context|passages)|"
    r"(?:context|passages?) (?:does|do) not (?:contain|mention|say|provide|specify)|"
    r"no information|cannot (?:be )?(?:answer|determine)",
    re.IGNORECASE,
)


class BaselineRAG:
    """The comparison contender; build it with `BaselineRAG.build`."""

    name = "baseline"

    def __init__(
        self,
        store: ChromaStore,
        embedder: Embedder,
        llm: Callable[[], ChatModel],
        prompts: Prompts,
        k: int = 4,
        max_tokens: int = 320,
        temperature: float = 0.0,
    ) -> None:
        self._store = store
        self._embedder = embedder
        self._llm = llm  # a callable, so retrieval-only runs never load the model
        self._prompts = prompts
        self._k = k
        self._max_tokens = max_tokens
        self._temperature = temperature

    @classmethod
    def build(
        cls,
        store_dir: Path,
        corpus: Path,
        embedder: Embedder,
        llm: Callable[[], ChatModel],
        prompts: Prompts,
        **options: Any,
    ) -> BaselineRAG:
        """A fresh Chroma collection under `store_dir`, filled from the corpus folder.

        The same store class as the system, so the comparison isolates the recipe (splitter,
        dense-only search, no checks), not the storage code.
        """
        store = ChromaStore(COLLECTION, embedder.name, path=store_dir)
        chunks = split_corpus(corpus)
        for i in range(0, len(chunks), 64):
            part = chunks[i : i + 64]
            store.upsert(part, embedder.embed([c.text for c in part]))
        return cls(store, embedder, llm, prompts, **options)

    def retrieve(self, query: str) -> list[Passage]:
        vector = self._embedder.embed([query])[0]
        hits = self._store.query(vector, self._k, Filters())
        return [
            Passage(chunk, score, dense_rank=rank)
            for rank, (chunk, score) in enumerate(hits, start=1)
        ]

    def ask(self, question: str, history: list[Turn]) -> Answer:
        timings: dict[str, float] = {}
        started = time.perf_counter()
        query = followup_query(question, [t.question for t in history])
        passages = self.retrieve(query)
        timings["retrieve_s"] = time.perf_counter() - started
        prompt = self._prompts.render(
            "baseline_answer",
            passages=[p.chunk.text for p in passages],
            question=question,
            history=history,
        )
        t = time.perf_counter()
        pieces: list[str] = []
        model = self._llm()
        for piece in model.stream(
            [Message("user", prompt)], max_tokens=self._max_tokens, temperature=self._temperature
        ):
            if not pieces:
                timings["first_token_s"] = time.perf_counter() - started
            pieces.append(piece)
        timings["generate_s"] = time.perf_counter() - t
        timings["total_s"] = time.perf_counter() - started
        text = "".join(pieces).strip()
        citations, statements = cited(text, passages)
        return Answer(
            text=text,
            citations=citations,
            statements=statements,
            passages=passages,
            answered=bool(text) and not _DECLINE.search(text),
            standalone_question=query,
            timings=timings,
        )


def split_corpus(corpus: Path) -> list[Chunk]:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP, add_start_index=True
    )
    chunks: list[Chunk] = []
    for file, source in iter_article_paths([corpus]):
        try:
            doc = load_document(file, source)
        except DocumentError:
            continue  # the system's ingest skips unreadable files too
        pieces = splitter.create_documents([doc.text])
        for i, piece in enumerate(pieces):
            start = int(piece.metadata["start_index"])
            chunks.append(
                Chunk(
                    chunk_id=f"{doc.doc_id}:{i}",
                    doc_id=doc.doc_id,
                    source=source,
                    title="",
                    date=None,
                    start=start,
                    end=start + len(piece.page_content),
                    text=piece.page_content,
                    annotated=piece.page_content,
                    index=i,
                    total=len(pieces),
                )
            )
    return chunks


def cited(text: str, passages: Sequence[Passage]) -> tuple[list[Citation], list[Statement]]:
    """The recipe's citations, one per distinct in-range `[n]` and quoting the whole passage
    (it has nothing finer), and its sentences with the markers each carries. An out-of-range
    marker points at nothing and is scored as unsupported."""
    by_number: dict[int, Citation] = {}
    statements = []
    for part in cited_sentences(text):
        cites = []
        for n in part.numbers:
            if n not in by_number:
                by_number[n] = _passage_citation(n, passages)
            cites.append(by_number[n])
        statements.append(Statement(part.text, tuple(cites)))
    return [c for c in by_number.values() if c.chunk_id], statements


def _passage_citation(n: int, passages: Sequence[Passage]) -> Citation:
    if not 1 <= n <= len(passages):
        return Citation.dangling(n)
    chunk = passages[n - 1].chunk
    return Citation(n, chunk.source, chunk.start, chunk.end, chunk.text, None, chunk.chunk_id)
