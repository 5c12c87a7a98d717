""" "X is the Y of Z" claims and the sentences that state them."""

from __future__ import annotations

import pytest

from rag.text.roles import role_claims

STATES = [
    "Xi made the remarks when meeting with Russian President Vladimir Putin in Astana.",
    "Kazakh President Kassym-Jomart Tokayev opened the summit.",
    "Kassym-Jomart Tokayev, the president of Kazakhstan, opened the summit.",
]


@pytest.mark.parametrize(
    ("claim", "sentence", "backed"),
    [
        ("Vladimir Putin is the president of Russia.", STATES[0], True),
        ("Tokayev is the president of Kazakhstan.", STATES[1], True),
        ("Tokayev is the president of Kazakhstan.", STATES[2], True),
        # q052: all three words in one sentence, but Putin is Russia's president, not Kazakhstan's.
        (
            "The president of Kazakhstan who hosted the summit is Vladimir Putin.",
            "Xi met Russian President Vladimir Putin on the sidelines in Astana, Kazakhstan.",
            False,
        ),
        ("Vladimir Putin is the president of Kazakhstan.", STATES[1], False),
    ],
)
def test_a_role_is_backed_only_where_it_binds_person_and_place(
    claim: str, sentence: str, backed: bool
) -> None:
    (parsed,) = role_claims(claim)
    assert parsed.backed_by(sentence) is backed


def test_sentences_without_a_role_claim() -> None:
    assert role_claims("Putin was invited to visit Thailand.") == []
    assert role_claims("The summit of the SCO was held in Astana.") == []
