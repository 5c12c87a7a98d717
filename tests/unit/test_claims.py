"""What a sentence asserts, read from the real spaCy parse: speakers, events, premises."""

from __future__ import annotations

import pytest

from rag.answer.question.analysis import AnalysedQuestion, AnswerKind
from rag.text.claims import holds_predicate, names, same_name, speakers
from rag.text.nlp import shared_pipeline

NLP = shared_pipeline()


def test_the_speaker_is_the_active_subject_of_a_speech_verb() -> None:
    said = speakers(NLP.parse('"We must act," Trump said. Obama was not mentioned.'))
    assert [(s.text, s.named) for s in said] == [("Trump", True)]


def test_a_participle_speaks_for_its_clause_subject_and_a_pronoun_is_marked() -> None:
    parsed = NLP.parse("The Russian leader praised the BRI, calling it a success story.")
    assert [(s.text, s.named, s.pronoun) for s in speakers(parsed)] == [
        ("The Russian leader", False, False)
    ]
    (he,) = speakers(NLP.parse("He told reporters the deal was done."))
    assert he.pronoun and not he.named


def test_according_to_names_a_speaker() -> None:
    parsed = NLP.parse("According to the White House, the president will travel on Friday.")
    assert [s.text for s in speakers(parsed)] == ["the White House"]


def test_the_agent_of_a_passive_speech_verb_is_a_speaker() -> None:
    parsed = NLP.parse("Putin, quoted by Xinhua, said the New Silk Roads are a public good.")
    assert {s.text for s in speakers(parsed)} == {"Putin", "Xinhua"}
    # The agent of any other verb is no speaker.
    assert speakers(NLP.parse("The bridge was built by a Chinese firm.")) == []


def test_the_subject_of_a_verb_that_opens_a_quotation_is_quoted() -> None:
    parsed = NLP.parse('At a rally, President Trump slammed the decision as "an overreach."')
    assert [(s.text, s.named) for s in speakers(parsed)] == [("President Trump", True)]
    # Quoted words that characterise nothing "as" are no one's quote: a circumstance, or an
    # object taken from a statement.
    assert speakers(NLP.parse('Xi and Putin met in Astana on "Wednesday".')) == []
    assert speakers(NLP.parse('In their meeting, Xi and Putin "exchanged views" on Gaza.')) == []


@pytest.mark.parametrize(
    ("text", "event", "held"),
    [
        ("Cargo volumes rose 4 percent.", "rise", True),  # irregular past
        ("The minister stepped down on Friday.", "resign", True),  # a phrasal synonym
        ("His resignation was accepted.", "resign", True),  # the event's noun
        ("He was shot dead in 1997.", "die", True),
        ("Mark Rutte's VVD party won 33 seats.", "resign", False),
        ("He said relations were at their highest level.", "describe", True),  # reporting verbs
    ],
)
def test_an_event_is_found_in_its_forms_and_general_synonyms(
    text: str, event: str, held: bool
) -> None:
    assert holds_predicate(text, event) is held


def test_names_are_entities_and_proper_noun_runs_matched_by_a_shared_word() -> None:
    assert "Mark Rutte" in names(NLP.parse("Prime Minister Mark Rutte's VVD party won."))
    assert same_name("Trump", "President Donald Trump")
    assert not same_name("President Obama", "President Trump")


@pytest.mark.parametrize(
    ("question", "kind", "predicate", "clause"),
    [
        (
            "Why did Mark Rutte resign after the Dutch election?",
            AnswerKind.REASON,
            "resign",
            "Mark Rutte resigned after the Dutch election",
        ),
        (
            "How much additional lending did Xi announce for the Belt and Road Initiative?",
            AnswerKind.AMOUNT,
            "announce",
            "Xi announced additional lending for the Belt and Road Initiative",
        ),
        (
            "Why was Alexei Navalny arrested in Moscow?",
            AnswerKind.REASON,
            "arrest",
            "Alexei Navalny was arrested in Moscow",
        ),
        ("Who won the Best Actor award?", AnswerKind.PERSON, "win", ""),
        # Parsed as "did [Tencent report]": a light verb is no event, and no word after it is.
        (
            "How many active WeChat users did Tencent report at the end of December 2016?",
            AnswerKind.COUNT,
            None,
            "",
        ),
    ],
)
def test_a_question_becomes_its_answer_type_and_premise(
    question: str, kind: AnswerKind, predicate: str | None, clause: str
) -> None:
    analysed = AnalysedQuestion.of(question, NLP)
    assert (analysed.kind, analysed.premise.predicate, analysed.premise.clause) == (
        kind,
        predicate,
        clause,
    )


def test_a_premise_keeps_its_year_speaker_and_the_noun_of_a_held_event() -> None:
    obama = AnalysedQuestion.of("What did Barack Obama say at the hearing?", NLP).premise
    assert obama.speaker == "Barack Obama" and obama.predicate == "say"
    oscars = AnalysedQuestion.of("Who won the Best Actor award at the 2017 Oscars?", NLP).premise
    assert oscars.years == frozenset({2017})
    funeral = AnalysedQuestion.of("When was Kim Jong-nam's funeral held?", NLP).premise
    assert (funeral.predicate, funeral.event_noun) == ("hold", "funeral")
    assert not funeral.stated_in("Ri Jong-chol was held in police detention for two weeks.")
    # A claim of the held event is backed by a report of it that says no "held".
    assert funeral.backs_event("At the funeral on Sunday, mourners lined the streets.")
    assert not funeral.stated_in("At the funeral on Sunday, mourners lined the streets.")
