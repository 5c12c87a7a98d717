"""An optional LLM judge: a second opinion on correctness, next to the fact matching.

It never replaces the deterministic score (which is what the gate uses); it shows where the
regexes and a model disagree, which is where the eval set needs attention.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from eval.dataset import EvalQuestion
from eval.settings import EvalSettings
from rag.answer.prompts import Prompts
from rag.llm.base import ChatModel, complete
from rag.types import Message

PROMPTS_DIR = Path(__file__).parent / "prompts"
NOT_CONFIGURED = (
    "judge skipped: no judge model configured; set RAG_JUDGE__MODEL "
    "(and RAG_JUDGE__BASE_URL, RAG_JUDGE__API_KEY for a server other than OpenAI)"
)


@dataclass(frozen=True)
class Verdict:
    correct: bool | None  # None when the judge's reply could not be read
    reason: str


class Judge:
    """Grades one answer against the reference answer.

    >>> Judge(model).grade(question, "They met on 3 July 2024 [1].").correct
    True
    """

    def __init__(self, model: ChatModel, prompts: Prompts | None = None) -> None:
        self.model = model
        self._prompts = prompts or Prompts(PROMPTS_DIR)

    def grade(self, question: EvalQuestion, answer: str) -> Verdict:
        prompt = self._prompts.render(
            "judge",
            question=question.question,
            reference_answer=question.reference_answer,
            answer=answer,
        )
        return parse_verdict(complete(self.model, [Message("user", prompt)], max_tokens=80))


def parse_verdict(reply: str) -> Verdict:
    lines = reply.strip().splitlines()
    first = lines[0].strip().strip("*.:").upper() if lines else ""
    reason = " ".join(line.strip() for line in lines[1:]).strip()
    if first.startswith("INCORRECT"):
        return Verdict(False, reason)
    if first.startswith("CORRECT"):
        return Verdict(True, reason)
    return Verdict(None, f"unreadable verdict: {reply.strip()[:120]!r}")


def build_judge(settings: EvalSettings) -> Judge | None:
    """None when no judge model is configured."""
    s = settings.judge
    if not s.model:
        return None
    from rag.llm.openai_compat import OpenAICompatModel

    key = s.api_key or settings.openai_api_key
    return Judge(
        OpenAICompatModel(s.base_url, s.model, key.get_secret_value() if key else None, s.timeout_s)
    )
