"""Does a source sentence answer the question, and does it back what an answer says?

A quote that shares the question's words is no answer unless it holds the question's
participants, its event and something of the kind asked for that the question does not
already name ("planes were grounded" is no answer to where a propeller was found). An answer's
statement is backed by the sentence it cites only when that sentence has the same speaker for
"X said", the same event, and the question's year. The parse of each sentence is spaCy's, done
once per sentence (`rag.text.nlp`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from rag.answer.evidence.matching import SentenceMatch
from rag.answer.evidence.premise import in_article, in_year, participant_in, unnamed_speaker
from rag.answer.question.analysis import AnalysedQuestion
from rag.text.claims import name_words, same_name, speakers
from rag.text.names import HONORIFICS
from rag.text.nlp import Parsed, Pipeline
from rag.text.numbers import Figure
from rag.text.sentences import sentence_spans
from rag.types import Citation, Passage, Statement


@dataclass
class Judge:
    """One question's judge of sentences, over its pool of passages."""

    question: AnalysedQuestion
    pool: list[Passage]
    nlp: Pipeline
    article_text: Callable[[Passage], str]
    _answers: dict[tuple[int, int], bool] = field(default_factory=dict)

    # --- quotes --------------------------------------------------------------------------

    def answers(self, m: SentenceMatch) -> bool:
        """Whether the sentence answers the question on its own (with the sentence before it
        and its article's title for context): it names the participants, states the event,
        and holds an entity of the asked kind that the question does not name."""
        key = (m.passage_index, m.start)
        if key not in self._answers:
            self._answers[key] = not self.why_not(m)
        return self._answers[key]

    def why_not(self, m: SentenceMatch) -> str:
        """What the sentence lacks to answer ("" when nothing)."""
        chunk = self.pool[m.passage_index].chunk
        window = f"{chunk.title}\n{_before(chunk.text, m.start)} {m.text}"
        premise = self.question.premise
        missing = [n for n in premise.participants if not participant_in(window, n)]
        if missing:
            return f"names no {missing[0]}"
        if not premise.stated_in(window):
            return f"states no {premise.predicate}"
        late = self._out_of_time(self.pool[m.passage_index])
        if late:
            return late
        parsed = self.nlp.parse(m.text)
        unnamed = premise.unnamed_topic(m.text)
        if unnamed:
            return f"says nothing of {unnamed[0]}"
        speaker = premise.speaker
        if speaker and not self._quotes(parsed, speaker, self.pool[m.passage_index], m.start):
            return f"quotes no {speaker}"
        if self.question.kind.labels and not self.new_entities(parsed):
            return f"holds no {self.question.kind.value} the question does not name"
        return ""

    def new_entities(self, parsed: Parsed) -> list[str]:
        """Entities of the asked kind in `parsed` that the question does not name."""
        asked = set(name_words(self.question.text))
        return [
            e.text
            for e in parsed.entities
            if e.label in self.question.kind.labels and not name_words(e.text) <= asked
        ]

    # --- an answer's statements ----------------------------------------------------------

    def unsupported(self, statement: Statement, citation: Citation, passage: Passage) -> str:
        """Why the cited sentence does not back the statement ("" when it does): its article
        does not name the question's participants, the statement's speaker is not the one
        the source quotes, it states the question's event and the source does not, or the
        source is of another time than the question's."""
        start = citation.start - passage.chunk.start
        window = f"{_before(passage.chunk.text, start)} {citation.quote}"
        missing = [
            n
            for n in self.question.premise.participants
            if not in_article(passage, n, self.article_text)
        ]
        if missing:
            return f"the source's article does not name {missing[0]}"
        said, quoted = self.nlp.parse_many([statement.text, citation.quote])
        premise = self.question.premise
        for who in speakers(said):
            if who.named and not self._quotes(quoted, who.text, passage, start):
                return f"the source does not quote {who.text}"
        unnamed = premise.unnamed_topic(citation.quote)
        if unnamed and speakers(said):
            return f"the source says nothing of {unnamed[0]}"
        said_event = premise.predicate is not None and premise.stated_in(statement.text)
        if said_event and not premise.backs_event(window):
            return f"the source does not say {premise.event_noun or premise.predicate}"
        return self._out_of_time(passage)

    def names_asked(self, statement: Statement) -> bool:
        """For a question asking for a name or a figure: the statement gives one that its
        cited sentences hold and the question does not name."""
        if not self.question.kind.labels:
            return True
        found = self.new_entities(self.nlp.parse(statement.text))
        quotes = " ".join(c.quote for c in statement.citations)
        return any(name_words(e) <= name_words(quotes) for e in found if name_words(e))

    # --- figures across outlets ----------------------------------------------------------

    def counts_participant(self, m: SentenceMatch, figure: Figure) -> bool:
        """Whether `figure` (in `m.text`) counts something of the question's participants:
        the subject of the verb it hangs from, or the owner of its noun, names one. "The VVD
        won 33 seats" is no count of the PVV's seats; "the PVV came second with 20 seats" is.
        True when the question names no one."""
        participants = self.question.premise.participants
        if not participants:
            return True
        parsed = self.nlp.parse(m.text)
        at = next((i for i, t in enumerate(parsed.tokens) if t.start >= figure.start), None)
        if at is None:
            return False
        for k in [at, *parsed.ancestors(at)]:
            holders = [
                j
                for j in parsed.children(k)
                if parsed.tokens[j].dep in ("nsubj", "nsubjpass", "poss")
            ]
            if holders:
                words = " ".join(parsed.tokens[x].text for j in holders for x in parsed.subtree(j))
                return any(participant_in(words, n) for n in participants)
        return any(participant_in(m.text, n) for n in participants)

    def _out_of_time(self, passage: Passage) -> str:
        """The source cannot report the question's event: it is of another year than the
        question names, or was published before the day the question asks about (a preview of
        a referendum is no report of its result)."""
        premise = self.question.premise
        if premise.years and not in_year(passage, premise.years):
            return "the source is of another year"
        published = passage.chunk.date
        if premise.days and published is not None and published < min(premise.days):
            return f"the source was published before {min(premise.days).isoformat()}"
        return ""

    def _quotes(self, parsed: Parsed, speaker: str, passage: Passage, start: int) -> bool:
        for who in speakers(parsed):
            if who.named and same_name(who.text, speaker):
                return True
            # "the president" of an article naming President Trump is Trump, even where no
            # sentence before it names him (a headline parses poorly, a lead has none).
            if (
                not who.named
                and _by_title(who.text, speaker)
                and in_article(passage, speaker, self.article_text)
            ):
                return True
            found = (
                None
                if who.named
                else unnamed_speaker(passage, start, self.nlp, self.article_text(passage))
            )
            if found is not None and same_name(found, speaker):
                return True
        return False


def _by_title(description: str, name: str) -> bool:
    """Whether a description ("the president") is the title a name is written with
    ("President Trump"): its last word is an honorific the name carries."""
    words = description.lower().split()
    return bool(words) and words[-1] in HONORIFICS and words[-1] in name.lower().split()


def _before(text: str, start: int, chars: int = 0) -> str:
    """The sentence before offset `start` in `text` (or the `chars` before it)."""
    if chars:
        return text[max(0, start - chars) : start]
    previous = [s for s in sentence_spans(text) if s.end <= start]
    return text[previous[-1].start : previous[-1].end] if previous else ""
