"""Furniture recognisable in one text on its own: share bars, link lists, separators and
lines of page controls ("Advertisement", "Share this article").

None of these needs statistics, so they apply to every file, uploads included. Each rule asks
for the shape of furniture, not its wording: a share bar is a run of bare social-network and
share words with no punctuation between them (a sentence that names networks lists them with
commas and "and"); a link list is URLs back to back; a line of controls has no word that is
not a control.
"""

from __future__ import annotations

import re

from rag.documents.furniture.pieces import (
    URL_PATTERN,
    bare,
    is_url,
    opens_sentence,
)

SOCIAL = frozenset(
    "facebook twitter google+ googleplus whatsapp tumblr linkedin stumbleupon stumble digg "
    "reddit newsvine pinterest instagram youtube snapchat telegram messenger viber wechat "
    "weibo vk xing flipboard pocket delicious myspace".split()
)
SHARE = frozenset(
    "share shares sharing send email e-mail mail print permalink tweet pin save copy link "
    "sms comments comment rss".split()
)
# Words of page controls that are never an article's own line.
_CONTROLS = (
    SOCIAL
    | SHARE
    | frozenset(
        "advertisement advertisements advertising advert adverts ad ads sponsored promoted "
        "follow subscribe unsubscribe newsletter sign log signup login register skip menu close "
        "next previous prev back top more read related topics stories story article page slide "
        "gallery video videos photo photos image images caption copyright getty playback "
        "loading this with on via us up in to the of our".split()
    )
)
# Words that only join controls; a line of them alone ("on the") says nothing.
_JOINERS = frozenset("this with on via us up in to the of our more".split())
MAX_CONTROL_WORDS = 6
MIN_SHARE_WORDS = 3
MAX_LINK_LINE_WORDS = 3  # besides its links: "Permalink", "Source:"

_SHARE_WORD = "|".join(re.escape(w) for w in sorted(SOCIAL | SHARE, key=len, reverse=True))
# Bare share and network words back to back, links allowed after the first.
_SHARE_RUN = re.compile(
    rf"(?<!\S)(?:{_SHARE_WORD})(?!\S)(?:\s+(?:(?:{_SHARE_WORD})|{URL_PATTERN})(?!\S))*",
    re.IGNORECASE,
)
_ANY_LINK = re.compile(r"://|www\.|\.[a-z]{2,4}/", re.IGNORECASE)
_LINK_RUN = re.compile(rf"(?<!\S)(?:{URL_PATTERN})(?:\s+(?:{URL_PATTERN}))+", re.IGNORECASE)
# Three or more tokens of rule characters: "- - - - - -", "* * *" (not ". . .", which is an
# ellipsis inside a quotation).
_RULE_TOKEN = r"[-–—_*=~•·|#+]+"
_SEPARATOR_RUN = re.compile(rf"(?<!\S){_RULE_TOKEN}(?:\s+{_RULE_TOKEN}){{2,}}(?!\S)")
# A share label opening a sentence: "Share this with", "Share this slide:", "Share on".
_SHARE_LABEL = re.compile(
    r"(?:Share|SHARE|Sharing)(?:\s+(?:this|on|via|with|article|story|slide|page|post|video|"
    r"photo|gallery|it|to))+\s*:?(?=\s|$)"
)


def is_control_line(line: str) -> bool:
    """A short line made only of page-control words ("Advertisement", "Share this story")."""
    split = line.split()
    if not split or len(split) > MAX_CONTROL_WORDS:
        return False
    words = [bare(w) for w in split]
    if not all(words):
        return False
    return all(w in _CONTROLS for w in words) and any(w not in _JOINERS for w in words)


def is_link_line(line: str) -> bool:
    """A line of links with at most a few words around them ("Permalink http://…")."""
    links = 0
    others = 0
    for word in line.split():
        if is_url(word):
            links += 1
        else:
            others += 1
            if others > MAX_LINK_LINE_WORDS:
                return False
    return links > 0


def share_runs(text: str) -> list[tuple[int, int, str]]:
    """Runs of bare share and network words, links allowed inside and at the end:
    "Send Facebook Twitter Google+ Whatsapp … Permalink http://dw.com/p/…"."""
    if SOCIAL.isdisjoint(text.lower().split()):  # the run pattern is slow on long prose
        return []
    spans = []
    for match in _SHARE_RUN.finditer(text):
        words = [w.lower() for w in match.group().split() if not is_url(w)]
        if len(words) >= MIN_SHARE_WORDS and any(w in SOCIAL for w in words):
            spans.append((match.start(), match.end(), "share bar"))
    return spans


def link_runs(text: str) -> list[tuple[int, int, str]]:
    """Two or more links back to back: a list of links, not a sentence citing one."""
    if not _ANY_LINK.search(text):  # the run pattern is slow to fail on long prose
        return []
    return [(m.start(), m.end(), "links") for m in _LINK_RUN.finditer(text)]


def separator_runs(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), "rule") for m in _SEPARATOR_RUN.finditer(text)]


def share_labels(text: str) -> list[tuple[int, int, str]]:
    """A share label ("Share this with", "Share this slide:") followed by a new sentence (or
    nothing): the label of a share bar whose buttons were images. A capital "Share" inside a
    sentence is not prose, so the label counts wherever a word starts (or after a quote)."""
    spans = []
    for match in _SHARE_LABEL.finditer(text):
        at = match.start()
        if at and not (text[at - 1].isspace() or text[at - 1] in "\"”’')]"):
            continue
        rest = text[match.end() : match.end() + 40].split(maxsplit=1)
        if not rest or opens_sentence(rest[0]):
            spans.append((match.start(), match.end(), "share bar"))
    return spans
