"""HTML from users and imports is sanitised here, never trusted (nh3, the Rust ammonia library).

Rich fields keep a small set of structural and inline tags; links keep http(s) and mailto
only, so `<script>`, `on*=` attributes and `javascript:` links come out inert.
"""

from __future__ import annotations

import html
import re

import nh3

RICH_TAGS = {"p", "ul", "ol", "li", "strong", "em", "b", "i", "a", "br"}
ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = {"http", "https", "mailto"}

_TAG = re.compile(r"<[a-zA-Z/!][^>]*>")
_BULLET = re.compile(r"^\s*(?:[-•*]|\d+[.)])\s+")


# Control characters (terminal escapes, bell, backspace) and the bidirectional overrides and
# isolates that make text display in another order than it is stored ("Trojan Source"): none
# belongs in a response, and a signed-off text must read as it is kept. Tab and newline stay;
# the left-to-right and right-to-left marks (U+200E, U+200F) stay for real bidirectional text.
# A control character stands between words as often as not ('call<ESC>handling', a form feed
# between paragraphs): each becomes a space, so no two words are run together; the
# bidirectional marks, which sit inside words, simply go.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


_CHAR_REF = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,6})|([0-9]{1,7}));")


_NOT_OUR_TAG = re.compile(r"<(?!/?(?:%s)\b[^<>]*>)" % "|".join(sorted(RICH_TAGS, key=len,
                                                                       reverse=True)))


def text_with_our_tags(value: str) -> str:
    """Text that may hold the few tags a rich field keeps (`<p>`, `<b>`, `<a href>` ...): every
    other '<' is a character, not markup ('<opcc@example.org>', 'x<y', '<!-- note -->',
    '<script>' typed as text), so the sanitiser keeps its words instead of dropping them."""
    return _NOT_OUR_TAG.sub("&lt;", value)


def strip_controls(value: str) -> str:
    return _CONTROLS.sub(" ", _BIDI.sub("", value))


def _no_control_refs(value: str) -> str:
    """Character references that spell a control character ('&#27;') go too."""
    def keep(m: re.Match) -> str:
        code = int(m[1], 16) if m[1] else int(m[2])
        if code > 0x10FFFF or _BIDI.match(chr(code)):
            return ""
        return " " if _CONTROLS.match(chr(code)) else m[0]
    return _CHAR_REF.sub(keep, value)


def sanitise_html(value: str) -> str:
    return _no_control_refs(nh3.clean(strip_controls(_no_control_refs(value)), tags=RICH_TAGS,
                                      attributes=ATTRIBUTES, url_schemes=URL_SCHEMES))


def plain_text(value: str) -> str:
    """Any markup removed, entities decoded, whitespace collapsed: for names and titles."""
    return " ".join(strip_controls(html.unescape(nh3.clean(strip_controls(value),
                                                            tags=set()))).split())


def kept_text(value: str) -> str:
    """A person's words kept as written (an action's note, its evidence, why it is not
    accepted): control characters out, the ends trimmed, lines and '<' kept. It is text, and
    escaped wherever it is shown ('sent to J Smith <j.smith@...>' loses nothing)."""
    text = strip_controls(value).replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.strip().split("\n"))


def looks_like_html(value: str) -> bool:
    return bool(_TAG.search(value))


def text_to_html(text: str) -> str:
    """Paragraphs (blank-line separated) become <p>; runs of '- ' lines become a list."""
    parts: list[str] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if not lines:
            continue
        bullets = [_BULLET.sub("", line) for line in lines if _BULLET.match(line)]
        if len(bullets) == len(lines):
            items = "".join(f"<li>{_escape(b)}</li>" for b in bullets)
            parts.append(f"<ul>{items}</ul>")
        else:
            parts.append(f"<p>{_escape(' '.join(lines))}</p>")
    return sanitise_html("\n".join(parts))


def html_to_text(value: str) -> str:
    """The reverse of text_to_html for the HTML it makes; other HTML is returned as it is."""
    blocks = re.findall(r"<p>(.*?)</p>|<ul>(.*?)</ul>", value, flags=re.S)
    out = []
    for para, items in blocks:
        if para:
            out.append(html.unescape(para))
        else:
            out.append("\n".join(f"- {html.unescape(i)}" for i in re.findall(r"<li>(.*?)</li>", items)))
    text = "\n\n".join(out)
    return text if text_to_html(text) == value else value


def rich_text(value: str) -> str:
    """A rich field as stored: sanitised HTML, or plain text turned into simple HTML."""
    value = strip_controls(value).strip()
    if not value:
        return ""
    if not looks_like_html(value):
        return text_to_html(value)
    return sanitise_html(_BARE_LIST.sub(_list_items, value))


# Records pasted from web pages hold lists with no <li>: '<ul style=...> • one • two'.
_BARE_LIST = re.compile(r"<ul[^>]*>(?P<inner>[^<]*)(?:</ul>)?", re.I)


def _list_items(match: re.Match) -> str:
    parts = [p.strip() for p in re.split(r"(?:^|\s)[•\-]\s+", match["inner"]) if p.strip()]
    if not parts:
        return match[0]
    return "<ul>" + "".join(f"<li>{p}</li>" for p in parts) + "</ul>"


def _escape(text: str) -> str:
    return html.escape(text, quote=False)
