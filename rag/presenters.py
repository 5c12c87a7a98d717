"""Plain-dict views of answers, shared by `rag ask --json`, the HTTP API and the eval runner."""

from __future__ import annotations

from typing import Any

from rag.types import Answer, Citation, Passage


def citation_to_dict(c: Citation) -> dict[str, Any]:
    return {
        "n": c.n,
        "source": c.source,
        "start": c.start,
        "end": c.end,
        "quote": c.quote,
        "date": c.date.isoformat() if c.date else None,
        "title": c.title,
        "chunk_id": c.chunk_id,
    }


def passage_to_dict(p: Passage) -> dict[str, Any]:
    c = p.chunk
    return {
        "source": c.source,
        "chunk_id": c.chunk_id,
        "start": c.start,
        "end": c.end,
        "date": c.date.isoformat() if c.date else None,
        "score": round(p.score, 6),
        "dense_rank": p.dense_rank,
        "sparse_rank": p.sparse_rank,
        "text": c.annotated,
    }


def answer_to_dict(a: Answer) -> dict[str, Any]:
    return {
        "answer": a.text,
        "answered": a.answered,
        "citations": [citation_to_dict(c) for c in a.citations],
        "retrieved": [passage_to_dict(p) for p in a.passages],
        "standalone_question": a.standalone_question,
        "timings": {k: round(v, 4) for k, v in a.timings.items()},
        "notes": a.notes,
        "usage": {
            "prompt_tokens": a.usage.prompt_tokens,
            "completion_tokens": a.usage.completion_tokens,
        },
    }
