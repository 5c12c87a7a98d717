"""A question's subject by its names, and whether a passage names all of them."""

from __future__ import annotations

from rag.text.subject import Subject, name_in


def test_the_names_are_their_head_words_without_honorifics_or_qualifiers() -> None:
    subject = Subject.of("What is the latest on President Trump's ban and the North Korean envoy?")
    assert subject.names == (("trump",), ("korean",))
    # A hyphenated or multi-word head runs together.
    assert Subject.of("Is Ri Jong-chol still held?").names == (("jongchol",),)


def test_an_outlet_the_report_is_attributed_to_is_not_asked_for() -> None:
    subject = Subject.of("Is Ri Jong-chol still held, according to DW?")
    assert subject.names == (("jongchol",),)


def test_a_bracketed_name_is_another_spelling_of_the_one_before() -> None:
    subject = Subject.of("How many seats did the GreenLeft (GroenLinks) party win?")
    assert subject.names == (("greenleft", "groenlinks"),)
    assert subject.named_in("GroenLinks won 14 seats.")
    assert subject.named_in("The Green-Left party won 14 seats.")


def test_a_passage_must_name_every_name() -> None:
    subject = Subject.of("Is Ri Jong-chol still in Malaysian custody?")
    assert subject.named_in("Malaysia released Ri Jong Chol on Friday.")
    # The story's other names without the one asked about ("Kim Chol" is no "Ri Jong-chol").
    assert not subject.named_in("Malaysia says the body of Kim Jong-nam, or Kim Chol, is held.")
    assert not subject.named_in("Ri Jong Chol was released.")  # no Malaysia


def test_spellings_match_loosely_but_short_words_exactly() -> None:
    koreans = Subject.of("Are the Malaysians still stuck in North Korea?")
    assert koreans.named_in("Nine Malaysian citizens remain in Pyongyang, North Korean media say.")
    # Up to three more letters, and only on a word of five or more.
    assert not Subject.of("What did Kim say?").named_in("Kimberley said nothing.")
    assert not Subject.of("What did Watson rule?").named_in("Watsonville officials ruled.")
    assert Subject.of("What did Watson rule?").named_in("Judge Watson's ruling stands.")


def test_a_question_without_names_asks_for_none() -> None:
    subject = Subject.of("what is the latest count of seats?")
    assert subject.names == ()
    assert subject.named_in("anything at all")


def test_an_acronym_is_named_by_the_words_it_abbreviates() -> None:
    spelled = "Xi met Putin at the 24th meeting of the Shanghai Cooperation Organization."
    assert name_in(spelled, "SCO")
    assert name_in("China's Belt and Road Initiative (launched 2013)", "BRI")
    assert not name_in("the UN Security Council met in Astana", "SCO")
    # Words that only begin with the letters apart are no spelling of it.
    assert not name_in("Shanghai hosted a Cooperation forum; the Organization met.", "SCO")
