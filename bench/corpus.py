"""A synthetic news corpus for benchmarks and fault tests: deterministic, any size, no downloads.

Articles read like wire copy: a ` date YYYY-MM-DD` header (the corpus convention), a headline,
a byline, then paragraphs with people, organisations, places, money figures, percentages,
explicit dates and relative ones ("on Wednesday", "last year") for the date resolver to work on.
Article `i` depends only on `(seed, i)`, so a corpus of 1,000 is the first 1,000 of 50,000 and
cached stores stay valid when a bigger run reuses them.

>>> a = article(7)
>>> a.source, a.text.startswith(" date ")
('article_000007.txt', True)
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

# Bump when the generator's output changes, so cached benchmark stores are rebuilt.
VERSION = 1


def _words(text: str, sep: str | None = None) -> tuple[str, ...]:
    return tuple(w.strip() for w in text.split(sep))


FIRST = _words(
    "Amara Maria Wei Olga Tomas Fatima Kenji Lucia Ahmed Ingrid Rahul Sofia Daniel Mei "
    "Pavel Nadia Carlos Yuki Elena Samuel Aisha Jonas Priya Marco Leila Viktor Hana Omar "
    "Greta Tariq"
)
LAST = _words(
    "Okafor Lindqvist Chen Petrova Novak Haddad Tanaka Ferreira Rahman Johansson Mehta "
    "Rossi Keller Zhang Ivanov Mansour Alvarez Sato Popescu Mensah Kowalski Dubois "
    "Nakamura Silva Horvat Bauer Osei Moreau Jensen Kaur"
)
ROLES = _words(
    "finance minister,central bank governor,chief executive,trade envoy,spokesperson,"
    "energy minister,opposition leader,union president,mayor,economist",
    ",",
)
ORGS = _words(
    "Northwind Shipping,the Meridian Development Bank,Atlas Rail,"
    "the Coastal Power Authority,Helix Pharmaceuticals,the National Grain Board,"
    "Orbit Telecom,the Harbour Trust,Silverline Airways,the Union of Port Workers,"
    "Kestrel Mining,the Export Credit Agency",
    ",",
)
PLACES = _words(
    "Lisbon,Nairobi,Jakarta,Santiago,Tbilisi,Hanoi,Accra,Montreal,Tallinn,Casablanca,"
    "Osaka,Bergen,Cordoba,Izmir,Da Nang,Kampala,Gdansk,Valparaiso,Durban,Astana",
    ",",
)
TOPICS = _words(
    "port expansion,rail link,solar farm,wheat exports,vaccine plant,fibre network,"
    "bridge repairs,desalination project,bus fleet,housing programme,flood defences,"
    "copper mine,airport terminal,wind park,grain silos",
    ",",
)
VERBS = _words("announced,approved,delayed,cancelled,expanded,financed,criticised,defended", ",")
WEEKDAY_PHRASES = ("on Monday", "on Tuesday", "on Wednesday", "on Thursday", "on Friday")
RELATIVE = ("last year", "this week", "last month", "next year", "earlier this year")
MONTHS = _words(
    "January February March April May June July August September October November December"
)


@dataclass(frozen=True)
class Article:
    source: str
    text: str
    # A made-up project name found only in this article: a query with it has one right answer.
    marker: str
    person: str
    org: str
    topic: str
    place: str
    published: date


def article(i: int, seed: int = 0, paragraphs: tuple[int, int] = (6, 10)) -> Article:
    """Article number `i`; `paragraphs` bounds its length (about 330 characters each)."""
    rng = random.Random(seed * 1_000_003 + i)
    published = date(2022, 1, 3) + timedelta(days=rng.randrange(0, 3 * 365))
    person = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    other = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    role, other_role = rng.choice(ROLES), rng.choice(ROLES)
    org, other_org = rng.sample(ORGS, 2)
    place, topic = rng.choice(PLACES), rng.choice(TOPICS)
    marker = f"Project {_syllables(rng)}-{i}"
    amount = f"${rng.randint(2, 950)} {rng.choice(['million', 'billion'])}"
    pct = f"{rng.randint(1, 40)}.{rng.randint(0, 9)} percent"
    event_day = published - timedelta(days=rng.randint(0, 4))
    explicit = f"{event_day.day} {MONTHS[event_day.month - 1]} {event_day.year}"
    verb = rng.choice(VERBS)
    headline = f"{org[4:] if org.startswith('the ') else org} {verb} {amount} {topic} in {place}"
    byline = (
        f"{rng.randint(7, 22):02d}:{rng.randint(0, 59):02d}, "
        f"{MONTHS[published.month - 1]} {published.day:02d}, {published.year} "
        f"By {rng.choice(FIRST)} {rng.choice(LAST)} ( {rng.choice(['Wire', 'Daily', 'Herald'])}"
    )
    pool = [
        f"{person}, the {role} of {place}, said {rng.choice(WEEKDAY_PHRASES)} that {org} had "
        f"{verb} {amount} for the {topic}, known as {marker}.",
        f"The decision follows months of talks between {org} and {other_org}, which had warned "
        f"{rng.choice(RELATIVE)} that costs could rise by {pct}.",
        f"{other}, a {other_role}, told reporters in {place} that the {topic} would employ "
        f"{rng.randint(120, 9000):,} people once complete.",
        f"Work on {marker} began on {explicit}, according to a statement from {org}.",
        f"Critics said the plan repeats mistakes made {rng.choice(RELATIVE)}, when a similar "
        f"{rng.choice(TOPICS)} ran {rng.randint(2, 30)} months late.",
        f"Officials expect the first phase to finish by {rng.choice(MONTHS)} "
        f"{published.year + rng.randint(1, 4)}, with a second phase worth "
        f"${rng.randint(1, 90)} million to follow.",
        f"{person} met {other} in {rng.choice(PLACES)} {rng.choice(WEEKDAY_PHRASES)} to discuss "
        f"{rng.choice(['financing', 'land rights', 'tariffs', 'safety rules', 'timelines'])}.",
        f"Shares in {other_org} rose {pct} after the announcement, the biggest gain since "
        f"{rng.choice(MONTHS)} {published.year - rng.randint(1, 5)}.",
        f"Residents of {place} have asked for public hearings, and {rng.randint(3, 60)} local "
        f"groups signed a letter {rng.choice(WEEKDAY_PHRASES)} asking for more detail.",
        f'"We will not let {marker} fall behind," {person} said, adding that {other_org} '
        f"would audit the spending every {rng.choice(['quarter', 'six months', 'year'])}.",
        f"Under the agreement, {other_org} will supply {rng.randint(10, 800)} tonnes of steel "
        f"and {rng.randint(2, 40)} engineers, while {org} covers insurance and land purchases.",
        f"An independent review published {rng.choice(RELATIVE)} put the total cost of similar "
        f"schemes in {rng.choice(PLACES)} at ${rng.randint(1, 40)}.{rng.randint(0, 9)} billion.",
        f"The {role} of {rng.choice(PLACES)}, speaking {rng.choice(WEEKDAY_PHRASES)}, said "
        f"neighbouring regions were watching {marker} closely and might copy its financing.",
        f"Inflation in {place} stood at {pct} in {MONTHS[published.month - 1]}, which "
        f"{other} said made long contracts for the {topic} harder to price.",
        f"Environmental groups asked {org} to publish its impact study, saying the "
        f"{topic} could affect {rng.randint(2, 90)} square kilometres of wetland.",
        f"{org[0].upper() + org[1:]} said the first contracts would be signed within "
        f"{rng.randint(2, 12)} weeks and that bids from {rng.randint(3, 25)} companies "
        f"were under review.",
    ]
    first, rest = pool[0], pool[1:]
    rng.shuffle(rest)
    n_paragraphs = rng.randint(*paragraphs)
    sentences = [first, *rest]
    body: list[str] = []
    cursor = 0
    for p in range(n_paragraphs):
        take = 1 if p == 0 else rng.randint(1, 3)
        chunk = [sentences[(cursor + k) % len(sentences)] for k in range(take)]
        cursor += take
        body.append(" ".join(chunk))
    text = f" date {published.isoformat()} {headline}\n\n{byline}\n\n" + "\n\n".join(body) + "\n"
    return Article(f"article_{i:06d}.txt", text, marker, person, org, topic, place, published)


def articles(n: int, seed: int = 0, paragraphs: tuple[int, int] = (6, 10)) -> Iterator[Article]:
    return (article(i, seed, paragraphs) for i in range(n))


def write_corpus(
    folder: Path, n: int, seed: int = 0, paragraphs: tuple[int, int] = (6, 10)
) -> list[Article]:
    """Write `n` articles as .txt files into `folder` (created); return what was written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for a in articles(n, seed, paragraphs):
        (folder / a.source).write_text(a.text, encoding="utf-8")
        written.append(a)
    return written


def questions(sample: list[Article], n: int, seed: int = 1) -> list[str]:
    """Questions in the shape users ask, each about one of `sample`'s articles."""
    rng = random.Random(seed)
    shapes = (
        "How much did {org} commit to the {topic} in {place}?",
        "What did {person} say about {marker}?",
        "When did work on {marker} begin?",
        "How many people will the {topic} in {place} employ?",
        "Who criticised the {topic} plan in {place}?",
    )
    out = []
    for k in range(n):
        a = sample[k % len(sample)]
        out.append(
            rng.choice(shapes).format(
                org=a.org, topic=a.topic, place=a.place, person=a.person, marker=a.marker
            )
        )
    return out


def _syllables(rng: random.Random) -> str:
    parts = ["ka", "lo", "ve", "ri", "tan", "mo", "shi", "el", "dra", "nu", "qua", "zen"]
    return "".join(rng.choice(parts) for _ in range(3)).capitalize()
