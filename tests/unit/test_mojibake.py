"""The archive's mojibake: repaired where one reading is certain, left alone elsewhere."""

from __future__ import annotations

import pytest

from rag.text.mojibake import damage, repair


@pytest.mark.parametrize(
    ("mangled", "fixed"),
    [
        ('We don"t know', "We don’t know"),
        ('I"ve seen it, they"re here, it"s fine', "I’ve seen it, they’re here, it’s fine"),
        ('"It was hard,"?she said.', '"It was hard,” she said.'),
        ('he said: "We will win."?The crowd cheered', 'he said: "We will win.” The crowd cheered'),
        ('the last words were "goodbye."?', 'the last words were "goodbye.”'),
        ('Michelle O"\ufffdNeill said', "Michelle O’Neill said"),
        ('He replied, "\ufffdCome and see me."', 'He replied, "Come and see me."'),
        ("Fianna F\ufffd\ufffdil and Sinn F\ufffd\ufffdin", "Fianna Fáil and Sinn Féin"),
        ("Garda\ufffd\ufffd said", "Gardaí said"),
        ("Bus ?ireann and Iarnr\ufffd\ufffdd ?ireann", "Bus Éireann and Iarnród Éireann"),
    ],
)
def test_certain_cases_are_repaired(mangled: str, fixed: str) -> None:
    assert repair(mangled).text == fixed


@pytest.mark.parametrize(
    "ambiguous",
    [
        'the ministers"?statements',  # ’ + space, or ” + space: unknown
        'states "?meaning brain states',  # an em dash, or an opening quote that ate a letter
        "a fine of \ufffd15,000",  # € or £
        "Alfred D?blin",  # ö, ä, ü, ñ...
        'Is it true?" he asked.',  # a real question mark before a real quote
        "N\ufffd\ufffdir\ufffd\ufffdn",  # a name not on the certain list
    ],
)
def test_ambiguous_cases_are_left_alone(ambiguous: str) -> None:
    assert repair(ambiguous).text == ambiguous


def test_counts_say_what_was_repaired_and_damage_what_is_left() -> None:
    result = repair('I don"t know,"?she said of Fianna F\ufffd\ufffdil and a \ufffd5 fee.')
    assert result.fixes == {"apostrophe": 1, "closing quote": 1, "name": 1}
    assert damage(result.text) == {"lost �": 1, '"?': 0, 'letter"letter': 0}
