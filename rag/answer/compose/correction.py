"""A false premise gets a correction, not an explanation: say what the articles do not say,
then what they do say about the same people, quoted and cited.

"The articles do not say that Mark Rutte resigned after the Dutch election. According to BBC,
“Prime Minister Mark Rutte's VVD party won 33 seats …” [1]"
"""

from __future__ import annotations

from rag.answer.compose.quote import quoted_statement
from rag.answer.compose.verified import Verified, refusal
from rag.answer.evidence.premise import PremiseCheck
from rag.answer.question.analysis import AnalysedQuestion
from rag.text.dates import format_day
from rag.types import Passage, Statement


def correction(question: AnalysedQuestion, check: PremiseCheck, pool: list[Passage]) -> Verified:
    """The correction of a premise `check` found false; the plain refusal when the question
    cannot be restated as a claim ("Who won …?" assumes nothing of anyone) or no sentence
    names its participants."""
    note = f"premise not in the articles ({check.lacking}): {question.premise.clause!r}"
    closest = check.closest
    clause = question.premise.clause
    if not clause or closest is None:
        return refusal([note])
    chunk = pool[closest.passage_index].chunk
    if check.lacking == "speaker" and check.speaker:
        lead = f"They quote {check.speaker}: "
    elif check.lacking == "year" and chunk.date is not None:
        lead = f"What they report, on {format_day(chunk.date)}: "
    else:
        lead = "What they report: "
    statements = [
        Statement(f"The articles do not say that {clause}."),
        quoted_statement(chunk, closest.start, closest.end, lead),
    ]
    return Verified(statements, answered=False, notes=[note], corrected=True)
