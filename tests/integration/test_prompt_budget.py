"""What reaches the model, and when the model is not asked at all (real Chroma and MiniLM)."""

from __future__ import annotations

import re
from collections.abc import Callable

from rag.excerpts import ELISION
from rag.llm.fake import FakeChatModel
from rag.service import RagService


def model_of(service: RagService) -> FakeChatModel:
    llm = service.llm
    assert isinstance(llm, FakeChatModel)
    return llm


def test_a_question_about_something_no_article_names_is_refused_without_the_model(
    make_service: Callable[..., RagService],
) -> None:
    service = make_service("Taiwan was discussed [1].")

    answer = service.ask("What did Xi say about Taiwan at the SCO summit in Astana?")

    assert answer.answered is False
    assert answer.citations == []
    assert answer.text.startswith("The articles do not contain the answer")
    assert "Taiwan" in answer.text
    assert model_of(service).calls == []


def test_a_name_the_articles_use_in_another_form_still_goes_to_the_model(
    make_service: Callable[..., RagService],
) -> None:
    # The articles say "Kazakhstan", never "Kazakh"; that is no reason to refuse.
    service = make_service()

    service.ask("What did the Kazakh hosts of the SCO summit say?")

    assert len(model_of(service).calls) >= 1


def test_the_several_passage_prompt_holds_trimmed_excerpts(
    make_service: Callable[..., RagService],
) -> None:
    full = make_service(retrieval={"excerpt_chars": 0})
    trimmed = make_service(retrieval={"excerpt_chars": 300})
    question = "What did Xi and Putin agree about energy and trade?"

    full.ask(question)
    trimmed.ask(question)

    full_prompt = model_of(full).calls[-1][1].content
    trimmed_prompt = model_of(trimmed).calls[-1][1].content
    assert ELISION in trimmed_prompt and ELISION not in full_prompt
    assert len(trimmed_prompt) < 0.75 * len(full_prompt)
    # The same passages, each shorter.
    excerpt_numbers = re.compile(r"^\[(\d)\]", re.MULTILINE)
    assert excerpt_numbers.findall(trimmed_prompt) == excerpt_numbers.findall(full_prompt)
    assert len(excerpt_numbers.findall(full_prompt)) >= 2


def test_whole_chunks_unless_a_budget_is_set(make_service: Callable[..., RagService]) -> None:
    service = make_service()
    question = "What did Xi and Putin agree about energy and trade?"

    service.ask(question)

    prompt = model_of(service).calls[-1][1].content
    assert ELISION not in prompt
    for passage in service.retrieve(question):
        assert passage.chunk.annotated in prompt
