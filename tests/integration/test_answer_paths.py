"""Which prompt a question gets, what the model and the client see (real Chroma and MiniLM)."""

from __future__ import annotations

import re
from collections.abc import Callable

from rag.answer.compose.excerpts import ELISION
from rag.llm.fake import FakeChatModel
from rag.service import RagService, Token, final_answer
from rag.types import Turn


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


def test_a_declined_answer_that_a_sentence_holds_is_quoted_with_one_model_call(
    make_service: Callable[..., RagService],
) -> None:
    # The model declines the one-passage prompt although its sentence says "42 times": the
    # client gets that sentence quoted and cited, never the refusal marker, and no second call.
    service = make_service("NOT IN ARTICLES")

    events = list(service.ask_stream("How many times have Xi and Putin met in the past ten years?"))

    assert len(model_of(service).calls) == 1
    assert not [e for e in events if isinstance(e, Token)]
    answer = final_answer(events)
    assert answer.answered and "42 times" in answer.text
    assert answer.text.endswith("[1]")
    (citation,) = answer.citations
    assert "42 times" in citation.quote
    assert citation.chunk_id in {p.chunk.chunk_id for p in answer.passages}


def test_a_draft_that_only_repeats_the_question_is_no_answer(
    make_service: Callable[..., RagService],
) -> None:
    # "How many times …" answered without a figure says nothing: the quote takes its place.
    service = make_service("Xi and Putin have met many times in the past ten years [1].")

    answer = service.ask("How many times have Xi and Putin met in the past ten years?")

    assert "42" in answer.text
    # Caught where the claims are checked: no count in it that its source holds.
    assert any("names no count" in note for note in answer.notes)


def test_a_plain_refusal_streams_no_tokens(make_service: Callable[..., RagService]) -> None:
    service = make_service("NOT IN ARTICLES")

    events = list(service.ask_stream("What did Xi and Putin agree about energy and trade?"))

    assert not [e for e in events if isinstance(e, Token)]
    assert final_answer(events).answered is False
    assert "first_token_s" not in final_answer(events).timings


def test_a_wrong_earlier_answer_does_not_reach_the_rewrite(
    make_service: Callable[..., RagService],
) -> None:
    # q056: the first answer said Beijing; the follow-up's rewrite must come from what the
    # user asked ("the 2024 SCO summit"), not from the model's wrong prose.
    service = make_service("On what date did Xi and Putin meet at the 2024 SCO summit?")
    history = [Turn("Where was the 2024 SCO summit held?", "It was held in Beijing [1].")]

    answer = service.ask("On what date did Xi and Putin meet there?", history)

    condense_prompt = model_of(service).calls[0][0].content
    assert "Where was the 2024 SCO summit held?" in condense_prompt
    assert "Beijing" not in condense_prompt
    rewritten = "On what date did Xi and Putin meet at the 2024 SCO summit?"
    assert answer.standalone_question == rewritten
