"""The embedded model's token counts and cuts, against llama-cpp-python's own reckoning."""

from __future__ import annotations

import pytest

from rag.llm.base import UsageMeter
from rag.llm.local import LocalModel
from rag.llm.model_files import ensure_model_file
from rag.llm.tokens import Tokenizer, tokenizer_of
from rag.settings import Settings
from rag.types import Message, TokenUsage

pytestmark = pytest.mark.slow

MESSAGES = [
    Message("system", "You answer in one short sentence."),
    Message("user", "Where did Xi and Putin meet on 3 July 2024? It was in Astana."),
]


@pytest.fixture(scope="module")
def model() -> LocalModel:
    return LocalModel(ensure_model_file(Settings().model_cache_dir), n_ctx=1024)


def test_streamed_usage_is_what_llama_cpp_reports_unstreamed(model: LocalModel) -> None:
    meter = UsageMeter()
    text = "".join(meter.stream(model, MESSAGES, max_tokens=12))
    # Without streaming llama-cpp-python counts usage itself; same prompt, same greedy output.
    reference = model._llm.create_chat_completion(
        messages=[{"role": m.role, "content": m.content} for m in MESSAGES],
        max_tokens=12,
        temperature=0.0,
    )

    assert reference["choices"][0]["message"]["content"] == text
    counted = reference["usage"]
    assert meter.usage == TokenUsage(counted["prompt_tokens"], counted["completion_tokens"])


def test_cuts_are_in_the_models_own_tokens(model: LocalModel) -> None:
    assert tokenizer_of(model) is model and isinstance(model, Tokenizer)
    text = "Xi met Putin on 3 July 2024 in Astana – a café summit in 北京."
    total = model.count_tokens(text)

    for n in range(1, total + 1):
        cut = model.truncate_tokens(text, n)
        assert text.startswith(cut)
        assert model.count_tokens(cut) <= n
    assert model.truncate_tokens(text, total) == text
    assert model.count_tokens(model.truncate_tokens(text, 4)) == 4
