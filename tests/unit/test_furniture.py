"""Each furniture rule on its own: what it removes, and the prose next to it that it keeps."""

from __future__ import annotations

import pytest

from rag.documents.furniture import clean, is_furniture, learn
from rag.documents.furniture.crosslinks import BoundaryStats, find

KEEP = "The council approved the budget on Monday."


def cleaned(text: str) -> str:
    return clean(text).text


# --- share bars, links, separators, control lines ------------------------------------------


def test_a_share_bar_between_two_sentences_is_cut_out_of_the_line() -> None:
    text = (
        f"{KEEP} Send Facebook Twitter Google+ Whatsapp Tumblr linkedin stumble Digg reddit "
        "Newsvine Permalink http://dw.com/p/2Wx5C The mayor welcomed the vote."
    )
    out = clean(text)
    assert out.text == f"{KEEP} The mayor welcomed the vote."
    assert [r.rule for r in out.removed] == ["share bar"]


def test_networks_named_in_a_sentence_are_prose_not_a_share_bar() -> None:
    text = "She posted the video on Facebook, Twitter and Instagram on Friday."
    assert cleaned(text) == text


def test_links_back_to_back_go_and_a_single_link_in_a_sentence_stays() -> None:
    text = f"{KEEP} https://t.co/yp2CwDi1kB pic.twitter.com/eeq0jlFqhq The vote was close."
    assert cleaned(text) == f"{KEEP} The vote was close."
    one = "Details are at https://example.com/budget for anyone who asks."
    assert cleaned(one) == one


def test_a_row_of_dashes_goes_and_a_spaced_ellipsis_in_a_quote_stays() -> None:
    assert cleaned(f"{KEEP} - - - - - - It passed.") == f"{KEEP} It passed."
    quote = '"We will . . . do what we can," she said.'
    assert cleaned(quote) == quote


@pytest.mark.parametrize(
    "line", ["Advertisement", "Share this article", "Follow us on Twitter", "ADVERTISEMENT"]
)
def test_a_line_of_page_controls_is_dropped(line: str) -> None:
    assert cleaned(f"{line}\n\n{KEEP}") == KEEP
    assert is_furniture(line)


@pytest.mark.parametrize("line", ["Brexit deal", "Read the full report", "Tea prices"])
def test_a_short_line_with_a_word_of_its_own_stays(line: str) -> None:
    text = f"{line}\n\n{KEEP}"
    assert cleaned(text) == text
    assert not is_furniture(line)


def test_a_line_of_links_is_dropped() -> None:
    assert cleaned(f"{KEEP}\nPermalink http://dw.com/p/2Wx5C\nThe end.") == f"{KEEP}\nThe end."


@pytest.mark.parametrize(
    ("text", "left"),
    [
        ("Share this with Media reports say the vote was close.", "Media reports say"),
        ("It passed. Share this slide: How will it affect you?", "It passed. How will"),
        ('"that\'s the problem."Share this slide: Stay plugged in.', "Stay plugged in."),
    ],
)
def test_a_share_label_before_a_new_sentence_goes(text: str, left: str) -> None:
    out = cleaned(text)
    assert "Share this" not in out and left in out


def test_share_this_inside_a_sentence_is_prose() -> None:
    text = "She said she would share this with her family before deciding."
    assert cleaned(text) == text


def test_text_without_furniture_is_returned_character_for_character() -> None:
    text = " date 2024-07-04 Xi met Putin.\n\n\n  Indented   line with  spaces.\n"
    out = clean(text)
    assert out.text == text and out.removed == ()


# --- cross-links --------------------------------------------------------------------------


def test_a_cross_link_on_a_line_of_its_own_is_dropped_whole() -> None:
    text = f"{KEEP}\n\nRead more: Islanders call for more winter sailings\n\nThe end."
    assert cleaned(text) == f"{KEEP}\n\nThe end."


@pytest.mark.parametrize(
    ("glued", "expected"),
    [
        # A headline asking a question ends at its question mark.
        (
            "READ MORE: Who pays for the levee? Engineers said it was cracked.",
            "Engineers said it was cracked.",
        ),
        # Without statistics a common sentence opener ends it.
        (
            "READ MORE: Floods close the ring road The mayor said it would reopen.",
            "The mayor said it would reopen.",
        ),
        (
            'RELATED: Storm hits the coast "We lost everything," she said.',
            '"We lost everything," she said.',
        ),
        # After a stop and the archive's "-" for a no-break space.
        (
            "It was cracked.- INTERACTIVE: Mapping the floods The rain eased.",
            "It was cracked.- The rain eased.",
        ),
    ],
)
def test_a_glued_cross_link_goes_up_to_the_next_sentence(glued: str, expected: str) -> None:
    out = clean(glued)
    assert out.text == expected
    assert [r.rule for r in out.removed] == ["cross-link"]


def test_without_a_likely_end_only_the_label_goes_never_the_sentence() -> None:
    text = "READ MORE: Floods close ring road near Velmora engineers warn of further damage."
    assert cleaned(text) == "Floods close ring road near Velmora engineers warn of further damage."


def test_a_glued_headline_is_never_taken_past_twelve_words() -> None:
    # Past that, the likelier story is a cut inside the next sentence: only the label goes.
    words = "Floods close ring road as levee near the old mill gives way after days of rain"
    text = f"READ MORE: {words} The mayor said it would reopen."
    assert cleaned(text) == f"{words} The mayor said it would reopen."


@pytest.mark.parametrize(
    "text",
    [
        "The sign on the door read: Closed until further notice.",
        "Critics said the opinion: a mistake, was rushed.",
        "He told reporters to watch: the vote would be close.",
    ],
)
def test_label_words_inside_prose_are_not_cross_links(text: str) -> None:
    assert cleaned(text) == text


def test_statistics_put_the_cut_where_a_sentence_starts_not_inside_a_name() -> None:
    corpus = [
        "Russia denied the claims.",
        "Russia says the talks will continue.",
        "Russia sent more troops.",
        "The town of Avdiivka.",
        "Shelling hit Avdiivka.",
        "Prime Minister Theresa May spoke.",
        "The Prime Minister visited the town.",
        "Prime Minister Theresa May left.",
    ]
    text = "READ MORE: Prime Minister visits Avdiivka Russia denied the claims again."
    stats = BoundaryStats.count(corpus, {("prime", "Minister"), ("avdiivka", "Russia")})
    assert stats.score("Avdiivka", "Russia") > stats.score("Prime", "Minister")
    found = find(text, stats)
    assert found is not None
    assert text[found[1] :].strip() == "Russia denied the claims again."


# --- recurring sentences, learnt from an outlet's articles ---------------------------------


def _story(n: int) -> str:
    return (
        f"Story {n} is about the harbour number {n}. "
        f"Officials from district {n} met on day {n} to discuss it at length."
    )


PROMO = "Get our morning briefing sent straight to your inbox."
GLUED = "Media playback is not supported on this device"


def test_a_sentence_repeated_across_six_different_stories_is_furniture() -> None:
    texts = [f"{_story(n)} {PROMO}" for n in range(6)]
    model = learn(("Riverside", t) for t in texts)
    for n, text in enumerate(texts):
        assert clean(text, model, "Riverside").text == _story(n)


def test_five_different_stories_sharing_a_sentence_keep_it() -> None:
    # A background paragraph an outlet appends to a few related stories is article text.
    texts = [f"{_story(n)} {PROMO}" for n in range(5)]
    model = learn(("Riverside", t) for t in texts)
    assert all(clean(t, model, "Riverside").text == t for t in texts)


def test_copies_of_one_story_count_once_however_many_there_are() -> None:
    # Eight updates of one report share most sentences: none of them is furniture.
    shared = (
        "Flood barriers went up along the Embankment as the river rose. The Environment "
        "Agency said about 300 homes were at risk. A rest centre opened at the Guildhall."
    )
    texts = [f"{shared} Update {n}: the river level was read at {n} o'clock." for n in range(8)]
    model = learn(("Riverside", t) for t in texts)
    assert all(clean(t, model, "Riverside").text == t for t in texts)


def test_counts_are_per_outlet() -> None:
    texts = [(f"Outlet {n % 3}", f"{_story(n)} {PROMO}") for n in range(9)]
    model = learn(texts)
    assert all(clean(t, model, o).text == t for o, t in texts)


def test_a_repeated_opening_glued_to_the_next_sentence_is_cut_off_it() -> None:
    openers = ["Swimmers", "The", "Lindqvist", "Residents", "Bus", "Work"]
    texts = [f"{_story(n)} {GLUED} {w} will decide on day {n}." for n, w in enumerate(openers)]
    model = learn(("Riverside", t) for t in texts)
    for n, (text, w) in enumerate(zip(texts, openers, strict=True)):
        assert clean(text, model, "Riverside").text == f"{_story(n)} {w} will decide on day {n}."


def test_a_repeated_opening_always_followed_by_the_same_name_is_a_title() -> None:
    # "White House press secretary Sean Spicer said …" opens many stories, but what follows
    # varies and is lower-case: part of the sentence, never cut.
    after = ["the", "that", "on", "it", "a", "his", "there", "Trump"]
    texts = [
        f"{_story(n)} White House press secretary Sean Spicer said {w} plan {n} works."
        for n, w in enumerate(after)
    ] + [f"{_story(n)} The plan was approved by {n} votes." for n in range(8, 16)]
    model = learn(("Capital", t) for t in texts)
    assert all(clean(t, model, "Capital").text == t for t in texts)


def test_a_repeated_sentence_glued_to_the_end_of_a_caption_goes() -> None:
    texts = [f"{_story(n)} {PROMO}" for n in range(6)]
    model = learn(("Riverside", t) for t in texts)
    caption = f"{_story(9)} pic.twitter.com/Ab3dE9fGh1 {PROMO}"
    assert clean(caption, model, "Riverside").text == f"{_story(9)} pic.twitter.com/Ab3dE9fGh1"


def test_a_dateline_opening_the_article_stays_though_it_recurs() -> None:
    texts = [f"MOSCOW, March 3. /TASS/. {_story(n)}" for n in range(7)]
    model = learn(("TASS", t) for t in texts)
    assert all(clean(t, model, "TASS").text == t for t in texts)


def test_cleaning_twice_removes_nothing_more() -> None:
    texts = [
        f"{_story(n)} READ MORE: Floods close the ring road The rain eased. {PROMO} "
        "Send Facebook Twitter Google+ Whatsapp Permalink http://dw.com/p/1"
        for n in range(7)
    ]
    model = learn(("Riverside", t) for t in texts)
    once = clean(texts[0], model, "Riverside")
    assert once.removed and clean(once.text, model, "Riverside").removed == ()
    assert clean(once.text).removed == ()  # the loader's pass over an archive article
